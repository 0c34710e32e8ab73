// WebSocket performance on echo.perf.do/ws (contract §9) with k6/websockets. Per iteration, one
// connection's life, each step an operation of its own (perfdo_latency, through the results
// pipeline like requests):
// - ws.handshake: new WebSocket → open; a socket that never opens is a failure of this operation,
//   so its error rate is the connection failure rate;
// - ws.connect-first-message: new WebSocket → the first reply;
// - ws.rtt: send → its reply, for RTT_MESSAGES messages one after another (k6's clock is Date.now,
//   whole milliseconds: a local RTT under 1 ms reads 0 or 1); ws.rtt-chain-mean: the whole chain's
//   time over RTT_MESSAGES, the same RTT at sub-millisecond resolution;
// - ws.burst-per-message: BURST messages sent at once, time to the last reply divided by BURST
//   (1,000 / this = messages per second on one connection);
// - ws.reconnect: the server closes the socket (`{type: "close"}`, code 1012) → a new socket is open.
// Every message must get exactly one reply, in order (`ws: …` checks); a missing reply stalls the
// sequence until the iteration's guard gives up, which fails the check and leaves the RTTs short.

import { check } from "k6";
import { clearTimeout, setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { echoSocketUrl } from "../../lib/k6/api/network.api";
import { socketParams } from "../../lib/k6/client";
import { recordFailure, recordLatency } from "../../lib/k6/measure";
import { scenarioOptions, target } from "../../lib/k6/options";
import { hostFor } from "../../lib/k6/target";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 5, vus: 5 } });

const HOST = hostFor(target, "echo");
const URL = echoSocketUrl(target);
const RTT_MESSAGES = Number(__ENV.PERFDO_WS_MESSAGES ?? 20);
const BURST = Number(__ENV.PERFDO_WS_BURST ?? 100);
const GUARD_MS = 5_000;

type Reply = { type: string; i: number };

export default function (): void {
  const started = Date.now();
  let phase: "rtt" | "burst" | "closing" | "reconnect" | "done" = "rtt";
  let expected = 0;
  let sentAt = 0;
  let chainStart = 0;
  let burstStart = 0;
  let ordered = true;
  let closedAt = 0;
  let finished = false;
  const socket = new WebSocket(URL, null, socketParams());
  const finish = (ok: boolean, why: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(guard);
    check(null, { [`ws: ${why}`]: () => ok });
    if (phase !== "done") socket.close();
  };
  // Check names are fixed (k6 counts checks by name); what stalled shows in which check failed.
  const guard = setTimeout(() => finish(false, phase === "rtt" || phase === "burst" ? "every message gets exactly one reply, in order" : "a reconnected socket answers"), GUARD_MS);
  const send = (i: number): void => socket.send(JSON.stringify(i % 2 === 0 ? { type: "ping", i } : { type: "echo", i, data: "x".repeat(32) }));

  socket.onopen = () => {
    recordLatency("ws.handshake", HOST, Date.now() - started);
    sentAt = chainStart = Date.now();
    send(0);
  };
  socket.onmessage = (event) => {
    const reply = JSON.parse(String(event?.data)) as Reply;
    const now = Date.now();
    if (reply.i !== expected || reply.type !== (expected % 2 === 0 ? "pong" : "echo")) ordered = false;
    expected++;
    if (phase === "rtt") {
      recordLatency("ws.rtt", HOST, now - sentAt);
      if (expected === 1) recordLatency("ws.connect-first-message", HOST, now - started);
      if (expected === RTT_MESSAGES) recordLatency("ws.rtt-chain-mean", HOST, (now - chainStart) / RTT_MESSAGES);
      if (expected < RTT_MESSAGES) {
        sentAt = Date.now();
        send(expected);
        return;
      }
      phase = "burst";
      burstStart = Date.now();
      for (let i = 0; i < BURST; i++) send(RTT_MESSAGES + i);
      return;
    }
    if (phase === "burst" && expected === RTT_MESSAGES + BURST) {
      recordLatency("ws.burst-per-message", HOST, (now - burstStart) / BURST);
      check(ordered, { "ws: every message gets exactly one reply, in order": (o) => o });
      phase = "closing";
      socket.send(JSON.stringify({ type: "close" }));
    }
  };
  socket.onclose = () => {
    if (phase !== "closing") return;
    // Closed by the server, as on a deploy: reconnect at once and prove the new socket works.
    phase = "reconnect";
    closedAt = Date.now();
    const again = new WebSocket(URL, null, socketParams());
    again.onopen = () => {
      recordLatency("ws.reconnect", HOST, Date.now() - closedAt);
      again.send(JSON.stringify({ type: "ping", i: 0 }));
    };
    again.onmessage = (event) => {
      const ok = (JSON.parse(String(event?.data)) as Reply).type === "pong";
      phase = "done";
      finish(ok, "a reconnected socket answers");
      again.close();
    };
    again.onerror = () => {
      recordFailure("ws.reconnect", HOST);
      phase = "done";
      finish(false, "a reconnected socket answers");
    };
  };
  socket.onerror = () => {
    // After the server's close (code 1012) k6 may report an error too: that close was asked for.
    if (phase !== "rtt" && phase !== "burst") return;
    if (expected === 0) recordFailure("ws.handshake", HOST);
    finish(false, "the socket connects and stays open");
  };
}

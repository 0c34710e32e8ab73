// The network baseline (contract §9): what each hop costs, as separate operations of one scenario.
// - baseline.worker-to-do: client → Worker → the echo object and back (GET /ping);
// - baseline.do-to-do-same-colo / -cross-colo: one object calling another by RPC, timed inside the
//   calling object (POST /do-call; cross-colo locally adds the colo model's IAD → LHR round trip);
// - baseline.do-worker-do: one object calling another through the Worker's own fetch handler
//   (routed by host, as a client's request is), timed inside the calling object;
// - baseline.http-echo-1kb vs baseline.ws-echo-1kb: the same 1 KB payload echoed over HTTP and over
//   a WebSocket, 10 in a row each; both as the chain's mean per message (k6's clock has whole
//   milliseconds, so a sub-millisecond round trip is only measurable as a mean), and HTTP also per
//   request (`baseline.http-echo-1kb.request`, k6's own timing).
// The do-call requests themselves are operations too (`baseline.do-call-*`).

import { check } from "k6";
import { clearTimeout, setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { echoSocketUrl, networkApi, peerHost, type DoCall } from "../../lib/k6/api/network.api";
import { bodyJson, namespaceClient, socketParams } from "../../lib/k6/client";
import { recordLatency } from "../../lib/k6/measure";
import { scenarioOptions, target } from "../../lib/k6/options";
import { jsonOfSize } from "../../lib/k6/payload";
import { hostFor } from "../../lib/k6/target";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 5, vus: 5 } });

const echo = networkApi(namespaceClient(target, "echo"));
const HOST = hostFor(target, "echo");
const REPLICA = peerHost(target, "echo-replica");
const WS_URL = echoSocketUrl(target);
const PAYLOAD = jsonOfSize(1024);
const DATA = "x".repeat(1000);
const CHAIN = 10;

function doCall(name: string, measured: string, body: DoCall): void {
  const reply = bodyJson(echo.doCall(body, name)) as { ok?: boolean; latencyMs?: number } | undefined;
  if (reply?.ok && typeof reply.latencyMs === "number") recordLatency(measured, HOST, reply.latencyMs);
  check(reply, { [`baseline: ${measured} reaches the target object`]: (r) => r?.ok === true });
}

export default function (): void {
  echo.ping("baseline.worker-to-do");
  doCall("baseline.do-call-same-colo", "baseline.do-to-do-same-colo", { target: REPLICA, affinity: "same-colo" });
  doCall("baseline.do-call-cross-colo", "baseline.do-to-do-cross-colo", { target: REPLICA, affinity: "cross-colo", targetColo: "LHR" });
  doCall("baseline.do-call-via-worker", "baseline.do-worker-do", { target: REPLICA, via: "worker" });

  const httpStart = Date.now();
  for (let i = 0; i < CHAIN; i++) echo.echo(PAYLOAD, "baseline.http-echo-1kb.request");
  recordLatency("baseline.http-echo-1kb", HOST, (Date.now() - httpStart) / CHAIN);

  const socket = new WebSocket(WS_URL, null, socketParams());
  let got = 0;
  let wsStart = 0;
  const guard = setTimeout(() => {
    check(null, { "baseline: every WebSocket echo is answered": () => false });
    socket.close();
  }, 5_000);
  socket.onopen = () => {
    wsStart = Date.now();
    socket.send(JSON.stringify({ type: "echo", i: 0, data: DATA }));
  };
  socket.onmessage = () => {
    got++;
    if (got < CHAIN) {
      socket.send(JSON.stringify({ type: "echo", i: got, data: DATA }));
      return;
    }
    recordLatency("baseline.ws-echo-1kb", HOST, (Date.now() - wsStart) / CHAIN);
    clearTimeout(guard);
    check(null, { "baseline: every WebSocket echo is answered": () => true });
    socket.close();
  };
}

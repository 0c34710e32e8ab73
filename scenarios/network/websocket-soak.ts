// WebSocket soak on echo.perf.do/ws (contract §9, "concurrent WebSockets"): every VU opens one socket
// and holds it for PERFDO_WS_HOLD_S seconds (default 30), pinging once a second, so the Worker holds
// as many concurrent hibernatable sockets as there are VUs (`--vus`, default 500). Operations:
// ws.soak-handshake (a socket that never opens is its failure), ws.soak-rtt (every ping), and
// ws.soak-session, the held time of each socket, with a failure for each socket dropped before its
// time (closed or errored without being asked): `errors` in its row are the drops.
//   npx perfdo run network/websocket-soak --vus 2000

import { check } from "k6";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { echoSocketUrl } from "../../lib/k6/api/network.api";
import { socketParams } from "../../lib/k6/client";
import { recordFailure, recordLatency } from "../../lib/k6/measure";
import { scenarioOptions, target } from "../../lib/k6/options";
import { hostFor } from "../../lib/k6/target";

export const options = scenarioOptions({ profile: "smoke", defaults: { vus: 500, iterations: 1 } });

const HOST = hostFor(target, "echo");
const URL = echoSocketUrl(target);
const HOLD_MS = Number(__ENV.PERFDO_WS_HOLD_S ?? 30) * 1000;

export default function (): void {
  const started = Date.now();
  let opened = 0;
  let i = 0;
  let sentAt = 0;
  let ended = false;
  const socket = new WebSocket(URL, null, socketParams());
  let ping: ReturnType<typeof setInterval> | null = null;
  const end = (dropped: boolean): void => {
    if (ended) return;
    ended = true;
    if (ping !== null) clearInterval(ping);
    clearTimeout(hold);
    if (opened > 0) {
      if (dropped) recordFailure("ws.soak-session", HOST);
      else recordLatency("ws.soak-session", HOST, Date.now() - opened);
    }
    check(dropped, { "ws: a held socket stays open until it is closed": (d) => !d });
    socket.close();
  };
  const hold = setTimeout(() => end(false), HOLD_MS);
  socket.onopen = () => {
    opened = Date.now();
    recordLatency("ws.soak-handshake", HOST, opened - started);
    ping = setInterval(() => {
      sentAt = Date.now();
      socket.send(JSON.stringify({ type: "ping", i: i++ }));
    }, 1000);
  };
  socket.onmessage = () => recordLatency("ws.soak-rtt", HOST, Date.now() - sentAt);
  socket.onclose = () => end(true);
  socket.onerror = () => {
    if (opened === 0) recordFailure("ws.soak-handshake", HOST);
    end(true);
  };
}

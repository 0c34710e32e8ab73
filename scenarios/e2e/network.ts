// E2E: echo.perf.do (contract §9): ping, echo of exact bodies, DO → DO calls, and the WebSocket that
// answers exactly one message per message, in order. Gate: 100 % of checks.

import exec from "k6/execution";
import { clearTimeout, setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";
import { echoSocketUrl, networkApi, peerHost } from "../../lib/k6/api/network.api";
import { namespaceClient, socketParams } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";
import { jsonOfSize } from "../../lib/k6/payload";

export const options = scenarioOptions({ profile: "smoke" });

const echo = networkApi(namespaceClient(target, "echo"));
const SIZES = [100, 1024, 10 * 1024].map((bytes) => ({ bytes, payload: jsonOfSize(bytes) }));
const WS_URL = echoSocketUrl(target);
const WS_MESSAGES = 5;
const WS_TIMEOUT_MS = 5_000;

function http(): void {
  expect("echo", "ping answers ok for its namespace", body<{ ok: boolean; namespace: string }>(echo.ping()).namespace === "echo");
  for (const { bytes, payload } of SIZES) {
    const res = echo.echo(payload, `echo.echo-${bytes}b`);
    expect("echo", `echo returns the ${bytes}-byte body unchanged`, res.body === payload);
  }
  const call = body<{ ok: boolean; target: string; reply: { namespace: string } }>(
    echo.doCall({ target: peerHost(target, "echo-replica"), affinity: "same-colo" }, "do-call.same-colo"),
  );
  expect("do-call", "reaches the target namespace's object", call.ok === true && call.reply?.namespace === "echo-replica");
}

function websocket(): void {
  const replies: Array<{ type: string; i: number; data?: string }> = [];
  const socket = new WebSocket(WS_URL, null, socketParams());
  let settled = false;
  // The iteration lasts until the socket closes and no timer is pending, so the guard is cleared.
  const guard = setTimeout(() => settle(false, `all ${WS_MESSAGES} replies arrive within ${WS_TIMEOUT_MS} ms`), WS_TIMEOUT_MS);
  const settle = (ok: boolean, why: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(guard);
    expect("ws", why, ok);
    socket.close();
  };
  socket.onopen = () => {
    for (let i = 0; i < WS_MESSAGES; i++) {
      socket.send(JSON.stringify(i % 2 === 0 ? { type: "ping", i, ts: Date.now() } : { type: "echo", i, data: `d${exec.vu.idInTest}-${i}` }));
    }
  };
  socket.onmessage = (event) => {
    replies.push(JSON.parse(String(event?.data)) as { type: string; i: number; data?: string });
    if (replies.length < WS_MESSAGES) return;
    const inOrder = replies.every((r, i) => r.i === i && r.type === (i % 2 === 0 ? "pong" : "echo") && (i % 2 === 0 || r.data === `d${exec.vu.idInTest}-${i}`));
    settle(inOrder, "one reply per message, in order, of the right type");
  };
  socket.onerror = () => settle(false, "the socket connects and stays open");
}

export default function (): void {
  http();
  websocket();
}

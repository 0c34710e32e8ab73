import type { Fault } from "./faults";
import { isObject } from "./values";

// The WebSocket protocol of echo.perf.do/ws, free of Workers types so it is unit-testable in Node.

/** One reply per message, in order: the contract's clients take the next message as the answer. */
export function wsReply(message: string | ArrayBuffer): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message));
  } catch {
    return JSON.stringify({ type: "error", error: "message is not JSON" });
  }
  if (!isObject(parsed)) return JSON.stringify({ type: "error", error: "message is not a JSON object" });
  const base = { i: parsed.i, ts: parsed.ts, serverTs: Date.now() };
  if (parsed.type === "ping") return JSON.stringify({ type: "pong", ...base });
  if (parsed.type === "echo") return JSON.stringify({ type: "echo", ...base, data: parsed.data });
  return JSON.stringify({ type: "error", ...base, error: `unknown type ${String(parsed.type)} (ping, echo or close)` });
}

export interface WsAction {
  reply?: string;
  /** Close the socket from the server side (a deploy, an idle timeout): clients must reconnect. */
  close?: { code: number; reason: string };
}

/**
 * What the object does with one message: reply (ping → pong, echo → echo), or, for
 * `{type: "close"}`, close the socket from the server side with code 1012 ("service restart").
 * `fault` is the local fault switch: `ws-drops-every-tenth` leaves every message whose `i` ends in 9
 * unanswered, which the WebSocket scenario's checks must catch.
 */
export function wsAction(message: string | ArrayBuffer, fault: Fault | "" = ""): WsAction {
  const text = typeof message === "string" ? message : new TextDecoder().decode(message);
  if (text.includes('"close"')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (isObject(parsed) && parsed.type === "close") return { close: { code: 1012, reason: "server closed the socket on request" } };
    } catch {
      // not JSON: answered as an error below
    }
  }
  if (fault === "ws-drops-every-tenth") {
    const i = /"i":(\d+)/.exec(text)?.[1];
    if (i !== undefined && Number(i) % 10 === 9) return {};
  }
  return { reply: wsReply(message) };
}

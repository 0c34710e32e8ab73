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
  return JSON.stringify({ type: "error", ...base, error: `unknown type ${String(parsed.type)} (ping or echo)` });
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cosine, ftsQuery } from "../../deploy/src/search-text";
import { wsAction, wsReply } from "../../deploy/src/ws-reply";
import { checksByArea } from "../../lib/node/results/k6-summary";

describe("reference Worker: pure parts of the stores and network", () => {
  it("answers each WebSocket message with exactly one reply of the matching type", () => {
    const echo = JSON.parse(wsReply(JSON.stringify({ type: "echo", i: 3, ts: 5, data: "x" }))) as Record<string, unknown>;
    assert.deepEqual({ type: echo.type, i: echo.i, ts: echo.ts, data: echo.data }, { type: "echo", i: 3, ts: 5, data: "x" });
    assert.equal(typeof echo.serverTs, "number");
    assert.equal((JSON.parse(wsReply(JSON.stringify({ type: "ping", i: 0 }))) as { type: string }).type, "pong");
    assert.equal((JSON.parse(wsReply("not json")) as { type: string }).type, "error");
    assert.equal((JSON.parse(wsReply(JSON.stringify({ type: "shout" }))) as { error: string }).error, "unknown type shout (ping, echo or close)");
  });

  it("closes a socket from the server side on {type: close}, and the fault switch drops every tenth reply", () => {
    assert.deepEqual(wsAction(JSON.stringify({ type: "close" })), { close: { code: 1012, reason: "server closed the socket on request" } });
    assert.equal(typeof wsAction(JSON.stringify({ type: "ping", i: 9 })).reply, "string");
    assert.deepEqual(wsAction(JSON.stringify({ type: "ping", i: 19 }), "ws-drops-every-tenth"), {});
    assert.equal(typeof wsAction(JSON.stringify({ type: "ping", i: 18 }), "ws-drops-every-tenth").reply, "string");
  });

  it("quotes every search word so user input cannot inject FTS5 syntax", () => {
    assert.equal(ftsQuery('durable OR "x" NEAR(a b)'), '"durable" OR "or" OR "x" OR "near" OR "a" OR "b"');
    assert.equal(ftsQuery("  --  "), null);
  });

  it("scores term-vector similarity between 0 and 1", () => {
    const v = (words: string[]) => new Map(words.map((w) => [w, 1]));
    assert.ok(Math.abs(cosine(v(["a", "b"]), v(["a", "b"])) - 1) < 1e-12);
    assert.equal(cosine(v(["a"]), v(["b"])), 0);
    assert.ok(Math.abs(cosine(v(["a", "b"]), v(["a"])) - Math.SQRT1_2) < 1e-12);
  });

  it("counts checks per area, the first dotted part of the name before ':'", () => {
    assert.deepEqual(
      checksByArea([
        { name: "things.create: status is 2xx", passes: 3, fails: 0 },
        { name: "things: merge patch keeps other fields", passes: 1, fails: 2 },
        { name: "ws: one reply per message", passes: 3, fails: 0 },
      ]),
      [
        { area: "things", checks: 2, passes: 4, fails: 2 },
        { area: "ws", checks: 1, passes: 3, fails: 0 },
      ],
    );
  });
});

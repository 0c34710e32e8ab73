import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { segmentRouter } from "../../deploy/src/segment-router";

// The object's routes indexed by first path segment (deploy/src/segment-router.ts): the route that
// answers is the one a single router of all routes, in registration order, would pick.

describe("segment router", () => {
  const router = segmentRouter();
  router.register
    .get("/:id/history", () => "param-first")
    .get("/things/:id", () => "things-id")
    .get("/things/batch", () => "things-batch (shadowed: registered after /things/:id)")
    .get("/things", () => "things")
    .get("/ping", () => "ping")
    .all("*", () => "fallback");
  const hit = (path: string) => router.fetch(new Request(`http://stores.perf.do${path}`));

  it("keeps registration order across literal and parameter first segments", async () => {
    assert.equal(await hit("/things/abc"), "things-id");
    assert.equal(await hit("/things/batch"), "things-id", "the earlier route wins, as in one router");
    assert.equal(await hit("/things?type=A"), "things");
    assert.equal(await hit("/ping"), "ping");
    assert.equal(await hit("/ping?x=1"), "ping", "a query string is not part of the segment");
    assert.equal(await hit("/things/history"), "param-first", "a parameter-first route registered earlier still wins over a literal one");
    assert.equal(await hit("/abc/history"), "param-first");
    assert.equal(await hit("/nowhere/at/all"), "fallback");
  });
});

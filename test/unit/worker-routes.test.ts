import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Miniflare } from "miniflare";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// The reference Worker's routes, called directly through miniflare's dispatchFetch (no HTTP port,
// no k6), the way workers-sdk's vitest-pool-workers examples test a Worker. Every test gets
// storage of its own: a namespace no other test uses is an object no other test has touched.

let worker: WorkerUnderTest;
let mf: Miniflare;
let seq = 0;

before(async () => {
  worker = await startWorkerMiniflare();
  mf = worker.mf;
});

after(() => worker?.dispose());

/**
 * A namespace (object, storage) of this test's own. It descends from `family`, so it is served as
 * that family is (`cache` → `cache-t3-123`, served by the cache routes); any other word makes an
 * unclaimed name, as lifecycle work uses.
 */
const fresh = (family: string): string => `${family}-t${++seq}-${process.pid}`;

async function call(namespace: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await mf.dispatchFetch(`https://${namespace}.perf.do${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The object's tables and indexes, read through lifecycle's `POST /db/query` (which makes lifecycle's own). */
async function schemaOf(namespace: string): Promise<{ tables: string[]; indexes: string[]; versions: Record<string, number> }> {
  const { json } = await call(namespace, "POST", "/db/query", { sql: "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name" });
  const rows = json.rows as Array<{ type: string; name: string }>;
  const versions = await call(namespace, "POST", "/db/query", { sql: "SELECT name, version FROM _perfdo_features" });
  return {
    tables: rows.filter((r) => r.type === "table").map((r) => r.name),
    indexes: rows.filter((r) => r.type === "index").map((r) => r.name),
    versions: Object.fromEntries((versions.json.rows as Array<{ name: string; version: number }>).map((r) => [r.name, r.version])),
  };
}

describe("reference Worker routes (miniflare dispatchFetch)", () => {
  it("a cold object creates only the tables of the features its requests use", async () => {
    const ns = fresh("cold");
    assert.equal((await call(ns, "GET", "/ping")).status, 200);
    const { tables, versions } = await schemaOf(ns);
    // /ping (network) has no tables; /db/query is lifecycle's: its four tables and the registry, nothing else.
    assert.deepEqual(tables.filter((t) => !t.startsWith("search_")), ["_perfdo_features", "kv", "lifecycle_events", "meta", "records"]);
    assert.deepEqual(versions, { lifecycle: 1 });
  });

  it("a feature's first route migrates it, and the features it uses, to their versions", async () => {
    const ns = fresh("replicate");
    assert.equal((await call(ns, "POST", "/replicate", { mode: "async", replicaId: "r1", targetRegion: "EWR" })).status, 201);
    const { tables, indexes, versions } = await schemaOf(ns);
    assert.ok(tables.includes("repl_queue") && !tables.includes("things"), tables.join(","));
    assert.ok(indexes.includes("repl_queue_due"), "replicate's v2 migration ran");
    assert.deepEqual(versions, { lifecycle: 1, replicate: 2 });
  });

  it("a shared path goes to the feature that recognises the body", async () => {
    const ns = fresh("shared");
    const replicated = await call(ns, "POST", "/write", { key: "k", value: 1 });
    assert.equal(replicated.status, 201);
    assert.equal(replicated.json.version, 1, "replicate's answer");
    await call(ns, "POST", "/shard", { strategy: "hash", shardCount: 2, namespace: "users" });
    const sharded = await call(ns, "POST", "/write", { id: "u1", namespace: "users", data: { amount: 3 } });
    assert.equal(sharded.status < 300, true, JSON.stringify(sharded.json));
    assert.equal(typeof sharded.json.shardId, "number", "the shard coordinator's answer");
  });

  it("shards are other objects reached over RPC: writes land there and are counted back", async () => {
    const ns = fresh("shards");
    await call(ns, "POST", "/shard", { strategy: "hash", shardCount: 3, namespace: "users" });
    for (let i = 0; i < 6; i++) await call(ns, "POST", "/write", { id: `u${i}`, namespace: "users", data: { amount: i } });
    const count = await call(ns, "GET", "/count?namespace=users");
    assert.equal(count.json.count, 6);
    const agg = await call(ns, "POST", "/aggregate", { namespace: "users", field: "amount" });
    assert.equal(agg.json.sum, 15);
    // The coordinator holds no rows itself: they are in the shard objects.
    const local = await call(ns, "POST", "/db/query", { sql: "SELECT COUNT(*) AS n FROM shard_rows" });
    assert.deepEqual(local.json.rows, [{ n: 0 }]);
  });

  it("a fork copies state into another object over RPC", async () => {
    const ns = fresh("fork");
    await call(ns, "PUT", "/state", { key: "a", value: 42 });
    const fork = await call(ns, "POST", "/fork", {});
    assert.equal(fork.status, 201, JSON.stringify(fork.json));
    const copy = await call(fork.json.namespace as string, "GET", "/state?key=a");
    assert.equal(copy.json.value, 42);
  });

  it("targeting answers only on its namespaces; elsewhere the path falls through", async () => {
    const replicated = await call("replicated", "GET", "/ping?replica=primary");
    assert.equal(replicated.json.servedBy, "primary");
    const plain = await call(fresh("ping"), "GET", "/ping");
    assert.equal(plain.json.ok, true);
    assert.equal(plain.json.servedBy, undefined);
  });

  it("a route checks its query string and path parameters as it checks bodies: out of range is a 400 naming the parameter and the range", async () => {
    const ns = fresh("lifecycle");
    // LIMIT -1 was no limit at all; 1e10 keys would have been built in one object.
    assert.deepEqual(await call(ns, "GET", "/events/recent?limit=-1"), { status: 400, json: { error: "GET /events/recent: query.limit: expected an integer from 1 to 500" } });
    assert.equal((await call(ns, "GET", "/events/recent?limit=3")).status, 200);
    assert.deepEqual(await call(ns, "GET", "/shard/distribution?count=1e10"), { status: 400, json: { error: "GET /shard/distribution: query.count: expected an integer from 1 to 10000" } });
    assert.deepEqual(await call(ns, "GET", `/things/${"x".repeat(1025)}`), { status: 400, json: { error: "GET /things/:id: path.id: expected at most 1024 characters" } });
    assert.deepEqual(await call("iceberg", "GET", "/iceberg/tables/nope"), { status: 400, json: { error: 'GET /iceberg/tables/nope: path.table: expected one of "naics", "unspsc", "things", "resources"' } });
  });

  it("a route checks its body against its schema: one 400 naming each wrong field, the handler never runs", async () => {
    const ns = fresh("cache");
    const bad = await call(ns, "POST", "/cache/set", { key: "", ttl: "soon" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, "POST /cache/set: key: expected a string of 1–65536 characters; value: required; ttl: expected a positive number");
    assert.equal((await call(ns, "GET", "/cache/stats")).json.entries, 0, "nothing was written");
    assert.equal((await call(ns, "POST", "/cache/set", { key: "k", value: { a: 1 }, ttl: 60_000 })).status, 201);
  });

  it("a namespace gets only the routes of the features that serve it: elsewhere a 404 says who does", async () => {
    const cache = fresh("cache");
    const storesOnCache = await call(cache, "POST", "/relationships", { from: "a", to: "b", type: "knows" });
    assert.equal(storesOnCache.status, 404);
    assert.equal(storesOnCache.json.error, `POST /relationships is not served on ${cache}: relationships answers on stores, graph, standards (docs/contract.md §2)`);
    const cacheOnStores = await call(fresh("stores"), "POST", "/cache/set", { key: "k", value: 1 });
    assert.match(cacheOnStores.json.error as string, /^POST \/cache\/set is not served on stores-t\d+-\d+: cache answers on cache /);
    // A fresh lifecycle name (no feature claims it) has lifecycle's helpers and things, not the cache.
    const unclaimed = fresh("promote");
    assert.equal((await call(unclaimed, "POST", "/cache/set", { key: "k", value: 1 })).status, 404);
    assert.equal((await call(unclaimed, "POST", "/counter/increment", {})).status, 200);
    assert.equal((await call(unclaimed, "POST", "/things", { id: "t", type: "T", data: {} })).status, 201);
    // Every namespace answers the helpers, the dedicated ones included.
    assert.equal((await call(cache, "GET", "/ping")).status, 200);
    assert.equal((await call(cache, "POST", "/counter/increment", {})).status, 200);
  });

  it("a temporal snapshot holds what was written before it, even a write in the same millisecond after it", async () => {
    // workerd's clock moves only between requests, so over a kept-alive connection a snapshot and
    // the next put can share a millisecond; judged by time alone, restore then brought back the put
    // (1 e2e/advanced run in 10). The put here is stamped with the snapshot's own time to make it so.
    const ns = fresh("temporal");
    await call(ns, "POST", "/temporal/put", { key: "k", value: "before" });
    const snap = await call(ns, "POST", "/temporal/snapshot", { name: "s" });
    await call(ns, "POST", "/temporal/put", { key: "k", value: "after", timestamp: snap.json.timestamp });
    await call(ns, "POST", "/temporal/restore", { snapshotId: snap.json.id });
    assert.equal((await call(ns, "GET", "/temporal/get?key=k")).json.value, "before");
  });

  it("an unknown path is a 404 naming it", async () => {
    const res = await call(fresh("missing"), "GET", "/nope");
    assert.equal(res.status, 404);
    assert.match(res.json.error as string, /no route GET \/nope/);
  });
});

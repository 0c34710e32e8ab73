import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// The web crawl graph (deploy/src/features/webgraph.ts) through miniflare's dispatchFetch: crawl
// records in, host-level edges, queries, and the algorithms run inside the object. Each test on an
// object of its own (`web-w<n>`, a namespace of the web family).

let worker: WorkerUnderTest;
let seq = 0;
before(async () => (worker = await startWorkerMiniflare()));
after(() => worker?.dispose());
const fresh = (): string => `web-w${++seq}-${process.pid}`;

async function call<T = Record<string, unknown>>(namespace: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await worker.mf.dispatchFetch(`https://${namespace}.perf.do${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as T };
}

describe("reference Worker: the web crawl graph", () => {
  it("turns WAT, WARC and batch records into host-level edges, a repeated link adding weight", async () => {
    const ns = fresh();
    const wat = { envelope: { "WARC-Header-Metadata": { "WARC-Target-URI": "https://a.com/page" }, "Payload-Metadata": { "HTTP-Response-Metadata": { "HTML-Metadata": { Links: [{ url: "https://b.com/" }, { url: "https://b.com/x" }, { url: "https://c.org/" }, { url: "mailto:x@y.z" }] } } } } };
    assert.deepEqual((await call(ns, "POST", "/ingest/wat", { records: [wat] })).json, { records: 1, edges: 3 });
    const warc = { "WARC-Target-URI": "https://d.net/", payload: '<a href="https://a.com/">x</a><a href=\'https://b.com/y\'>y</a>' };
    assert.equal((await call(ns, "POST", "/ingest/warc", { record: warc })).json.edges, 2);
    assert.equal((await call(ns, "POST", "/ingest/batch", { records: [{ sourceUrl: "https://e.io/", links: [{ url: "https://b.com/" }] }] })).json.edges, 1);
    const from = await call<Array<{ to: string; weight: number }>>(ns, "GET", "/edges/from/a.com?sort=weight&order=desc");
    assert.deepEqual(from.json.map((e) => [e.to, e.weight]), [["b.com", 2], ["c.org", 1]]);
    assert.equal((await call(ns, "GET", "/edges/to/b.com/count")).json.count, 3);
    assert.deepEqual((await call(ns, "GET", "/edges/to/b.com/tld-distribution")).json.distribution, [{ tld: "com", count: 1 }, { tld: "io", count: 1 }, { tld: "net", count: 1 }]);
    assert.equal((await call(ns, "GET", "/partition/com/count")).json.count, 2, "two edges leave .com hosts");
  });

  it("computes PageRank and HITS inside the object, and reads the top back", async () => {
    const ns = fresh();
    const edges = [["a.com", "hub.com"], ["b.com", "hub.com"], ["c.com", "hub.com"], ["hub.com", "a.com"]].map(([from, to]) => ({ from, to }));
    assert.equal((await call(ns, "POST", "/edges/batch", { edges })).json.added, 4);
    const pr = await call(ns, "POST", "/algorithms/pagerank/compute", { dampingFactor: 0.85, maxIterations: 100, convergenceThreshold: 1e-6 });
    assert.deepEqual([pr.json.nodes, pr.json.converged], [4, true], JSON.stringify(pr.json));
    const top = await call<Array<{ domain: string; pageRank: number }>>(ns, "GET", "/algorithms/pagerank/top?limit=2");
    assert.equal(top.json[0]?.domain, "hub.com");
    assert.ok(Math.abs(top.json.reduce((s, r) => s + r.pageRank, 0) - (1 - 2 * (((await call<{ pageRank: number }>(ns, "GET", "/algorithms/pagerank/b.com")).json.pageRank)))) < 1e-6, "scores sum to 1");
    await call(ns, "POST", "/algorithms/hits/compute", { iterations: 20 });
    assert.equal((await call<Array<{ domain: string }>>(ns, "GET", "/algorithms/hits/top-authorities?limit=1")).json[0]?.domain, "hub.com");
  });

  it("finds components, extracts a subgraph by pattern, and answers on a TLD partition namespace", async () => {
    const ns = fresh();
    await call(ns, "POST", "/edges/batch", { edges: [{ from: "x.example.com", to: "y.com" }, { from: "p.org", to: "q.org" }] });
    const wcc = await call(ns, "POST", "/algorithms/components/wcc", {});
    assert.deepEqual([wcc.json.components, wcc.json.largest], [2, 2]);
    const sub = await call<{ edges: unknown[] }>(ns, "POST", "/algorithms/subgraph/extract", { pattern: "*.example.com", includeOutbound: true });
    assert.deepEqual(sub.json.edges, [{ from: "x.example.com", to: "y.com", weight: 1 }]);
    assert.equal((await call("com.web", "POST", "/edges", { from: "s.com", to: "t.com" })).status, 201, "com.web. is the web family's .com partition");
    assert.equal((await call("stores", "POST", "/edges", { from: "s.com", to: "t.com" })).status, 404, "not served outside the family");
  });

  it("refuses what is not a link or not bounded with a 400 naming it", async () => {
    const ns = fresh();
    assert.equal((await call(ns, "POST", "/edges", { from: "a.com", to: "a.com" })).status, 400);
    const big = await call<{ error: string }>(ns, "POST", "/edges/batch", { edges: Array.from({ length: 10_001 }, (_, i) => ({ from: `a${i}.com`, to: "b.com" })) });
    assert.equal(big.status, 400);
    assert.match(big.json.error, /edges/);
    assert.equal((await call(ns, "POST", "/algorithms/pagerank/compute", { maxIterations: 1000 })).status, 400, "iterations are bounded");
  });
});

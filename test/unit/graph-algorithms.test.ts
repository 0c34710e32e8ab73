import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { components, hits, hops, hostOfUrl, indexed, labelPropagation, pageRank, registeredDomain, tldOf } from "../../deploy/src/graph-algorithms";

// The graph algorithms the web crawl graph runs inside its object (deploy/src/graph-algorithms.ts),
// checked on graphs whose answers are known.

const graph = (pairs: Array<[string, string]>) => indexed(pairs.map(([from, to]) => ({ from, to, weight: 1 })));
const byName = (g: ReturnType<typeof graph>, v: Float64Array | Int32Array) => Object.fromEntries(g.nodes.map((n, i) => [n, v[i]]));

describe("graph algorithms", () => {
  it("PageRank matches the textbook three-page example and sums to 1", () => {
    // A→B, A→C, B→C, C→A with d = 0.85: A 0.3878, B 0.2148, C 0.3974 (the classic worked example).
    const g = graph([["A", "B"], ["A", "C"], ["B", "C"], ["C", "A"]]);
    const r = pageRank(g, { damping: 0.85, maxIterations: 100, tolerance: 1e-12 });
    const s = byName(g, r.scores) as Record<string, number>;
    assert.ok(r.converged && r.iterations < 100, JSON.stringify(r));
    assert.ok(Math.abs((s.A as number) - 0.3878) < 1e-3 && Math.abs((s.B as number) - 0.2148) < 1e-3 && Math.abs((s.C as number) - 0.3974) < 1e-3, JSON.stringify(s));
    assert.ok(Math.abs([...r.scores].reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  it("PageRank spreads a page without out-links over every page, and a start vector resumes", () => {
    const g = graph([["a", "hub"], ["b", "hub"], ["c", "hub"]]);
    const r = pageRank(g, { damping: 0.85, maxIterations: 100, tolerance: 1e-12 });
    const s = byName(g, r.scores) as Record<string, number>;
    assert.ok((s.hub as number) > 3 * (s.a as number), JSON.stringify(s));
    assert.ok(Math.abs([...r.scores].reduce((a, b) => a + b, 0) - 1) < 1e-9, "dangling mass kept");
    const one = pageRank(g, { damping: 0.85, maxIterations: 1, tolerance: 0, start: r.scores });
    assert.ok(one.delta < 1e-9, "one more iteration from the fixed point changes nothing");
  });

  it("HITS: the page linking to every authority is the top hub; the most linked page the top authority", () => {
    const g = graph([["portal", "x"], ["portal", "y"], ["portal", "z"], ["blog", "x"], ["blog", "y"], ["other", "x"]]);
    const r = hits(g, { maxIterations: 50, tolerance: 1e-12 });
    const hubs = byName(g, r.hubs) as Record<string, number>;
    const auth = byName(g, r.authorities) as Record<string, number>;
    assert.equal(Object.entries(hubs).sort((a, b) => b[1] - a[1])[0]?.[0], "portal");
    assert.equal(Object.entries(auth).sort((a, b) => b[1] - a[1])[0]?.[0], "x");
  });

  it("finds weakly connected components, and label propagation keeps two separate cliques apart", () => {
    const g = graph([["a", "b"], ["b", "c"], ["x", "y"], ["y", "x"], ["c", "a"]]);
    const comp = byName(g, components(g));
    assert.equal(new Set(Object.values(comp)).size, 2);
    assert.equal(comp.a, comp.c);
    assert.notEqual(comp.a, comp.x);
    const labels = byName(g, labelPropagation(g, "out", 10));
    assert.equal(labels.x, labels.y);
    assert.notEqual(labels.a, labels.x);
  });

  it("counts hops along out-links, -1 where unreachable", () => {
    const g = graph([["a", "b"], ["b", "c"], ["d", "a"]]);
    assert.deepEqual(byName(g, hops(g, g.nodes.indexOf("a"))), { a: 0, b: 1, c: 2, d: -1 });
    assert.deepEqual(byName(g, hops(g, g.nodes.indexOf("a"), 1)), { a: 0, b: 1, c: -1, d: -1 }, "stops after maxHops");
  });

  it("reads hosts, public suffixes and registrable domains", () => {
    assert.equal(hostOfUrl("https://Blog.Example.co.uk:8443/path?q"), "blog.example.co.uk");
    assert.equal(hostOfUrl("mailto:someone@example.com"), null);
    assert.equal(tldOf("blog.example.co.uk"), "co.uk");
    assert.equal(tldOf("example.com"), "com");
    assert.equal(registeredDomain("blog.example.co.uk"), "example.co.uk");
    assert.equal(registeredDomain("www.example.com"), "example.com");
  });
});

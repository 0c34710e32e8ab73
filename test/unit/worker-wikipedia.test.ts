import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// Wikipedia (deploy/src/features/wikipedia.ts, wikipedia-graph.ts) through miniflare: a MediaWiki XML
// export read into articles (wikitext parsed by wtf_wikipedia), search, infoboxes, the category
// hierarchy and the link graph walked, and the partitions a.wikipedia … z.wikipedia asked at once.
// Each test on a family member of its own (`wikipedia-w<n>`), so counts are exact.

let worker: WorkerUnderTest;
let seq = 0;
before(async () => (worker = await startWorkerMiniflare()));
after(() => worker?.dispose());
const fresh = (): string => `wikipedia-w${++seq}-${process.pid}`;

async function call<T = Record<string, unknown>>(ns: string, method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; json: T }> {
  const res = await worker.mf.dispatchFetch(`https://${ns}.perf.do${path}`, { method, headers: { "content-type": raw ? "application/xml" : "application/json" }, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as T };
}
const ok = async <T = Record<string, unknown>>(ns: string, method: string, path: string, body?: unknown, raw?: string): Promise<T> => {
  const r = await call<T>(ns, method, path, body, raw);
  assert.ok(r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
};

const page = (title: string, id: number, wikitext: string) =>
  `<page><title>${title}</title><ns>0</ns><id>${id}</id><revision><id>${id * 10}</id><text xml:space="preserve">${wikitext.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</text></revision></page>`;
const TYPESCRIPT = `'''TypeScript''' is a [[programming language]] developed by [[Microsoft]].

{{Infobox software
| name = TypeScript
| developer = [[Microsoft]]
| released = {{Start date|2012|10|01}}
| license = Apache 2.0
}}

== History ==
TypeScript was made public in 2012 & grew quickly.

== Features ==
Static types for [[JavaScript]].

[[Category:Programming languages]]
[[Category:Microsoft software]]`;

describe("reference Worker: Wikipedia articles", () => {
  it("reads a MediaWiki XML export: text, sections, infobox (templates rendered), categories and links", async () => {
    const ns = fresh();
    const xml = `<mediawiki>${page("TypeScript", 1, TYPESCRIPT)}${page("JavaScript", 2, "'''JavaScript''' is a [[programming language]].\n\n[[Category:Programming languages]]")}</mediawiki>`;
    const ingested = await ok<{ pages: number; links: number }>(ns, "POST", "/ingest/xml/stream", undefined, xml);
    assert.equal(ingested.pages, 2);
    const a = await ok<{ content: string; infobox: { template: string; fields: Record<string, string> }; categories: string[]; links: string[] }>(ns, "GET", "/article/TypeScript?include=content,infobox,categories,links");
    assert.deepEqual(a.categories, ["Microsoft software", "Programming languages"]);
    assert.deepEqual(a.links, ["JavaScript", "Microsoft", "Programming language"]);
    assert.equal(a.infobox.template, "software");
    assert.deepEqual([a.infobox.fields.developer, a.infobox.fields.released], ["Microsoft", "October 1, 2012"]);
    assert.match(a.content, /made public in 2012 & grew/);
    assert.doesNotMatch(a.content, /\[\[|\{\{|&amp;/);
    const sections = await ok<{ sections: Array<{ title: string }> }>(ns, "GET", "/article/TypeScript/sections?names=History");
    assert.deepEqual(sections.sections.map((s) => s.title), ["History"]);
    assert.deepEqual((await ok<{ links: string[] }>(ns, "GET", "/article/JavaScript/links/inbound")).links, ["TypeScript"]);
    assert.deepEqual((await ok<{ articles: string[] }>(ns, "GET", "/category/Category%3AProgramming%20languages/articles")).articles, ["JavaScript", "TypeScript"]);
    assert.equal((await call(ns, "GET", "/article/Nope")).status, 404);
    const normalized = await ok<{ fields: Record<string, string> }>(ns, "POST", "/ingest/infobox/normalize", { template: "Infobox company", fields: { founded: "{{Start date|2010|01|15}}", website: "{{URL|https://example.com}}" } });
    assert.deepEqual(normalized.fields, { founded: "January 15, 2010", website: "https://example.com" });
  });

  it("searches with BM25 (FTS5's, and computed for other k1 and b), and queries and aggregates infoboxes", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/ingest/articles", { articles: [
      { title: "Distributed_systems", text: "Distributed systems coordinate computers over a network. Consensus keeps distributed replicas in agreement." },
      { title: "Databases", text: "Databases store data; some are distributed." },
      { title: "Gardening", text: "Growing plants in soil." },
    ] });
    const fts = await ok<{ results: Array<{ title: string }> }>(ns, "POST", "/search/bm25", { query: "distributed consensus", k: 5, k1: 1.2, b: 0.75 });
    assert.deepEqual(fts.results.map((r) => r.title), ["Distributed systems", "Databases"]);
    const computed = await ok<{ ranking: string; results: Array<{ title: string }> }>(ns, "POST", "/search/bm25", { query: "distributed consensus", k: 5, k1: 2, b: 0.5 });
    assert.deepEqual([computed.ranking, ...computed.results.map((r) => r.title)], ["computed", "Distributed systems", "Databases"]);
    await ok(ns, "POST", "/index/infobox/batch", { infoboxes: [
      { articleTitle: "Microsoft", infobox: { template: "company", industry: "Technology", founded: "1975" } },
      { articleTitle: "Google", infobox: { template: "company", industry: "Technology", founded: "1998" } },
      { articleTitle: "Acme", infobox: { template: "Infobox company", industry: "Retail" } },
    ] });
    assert.deepEqual((await ok<{ results: Array<{ title: string }> }>(ns, "POST", "/query/infobox", { template: "company", where: { industry: "Technology" } })).results.map((r) => r.title), ["Google", "Microsoft"]);
    assert.deepEqual((await ok<{ groups: unknown[] }>(ns, "POST", "/query/infobox/aggregate", { template: "company", groupBy: "industry", aggregate: "count" })).groups, [{ value: "Technology", count: 2 }, { value: "Retail", count: 1 }]);
  });
});

describe("reference Worker: Wikipedia as a graph", () => {
  it("walks the category hierarchy and the link graph: ancestors, subsumption, shortest, bidirectional and all paths, PageRank", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/ingest/categories/hierarchy", { relationships: [
      { child: "Category:TypeScript", parents: ["Category:Programming languages", "Category:Microsoft software"] },
      { child: "Category:Programming languages", parents: ["Category:Computing"] },
      { child: "Category:Microsoft software", parents: ["Category:Software"] },
      { child: "Category:Software", parents: ["Category:Computing"] },
      { child: "Category:Computing", parents: ["Category:Technology"] },
    ] });
    const anc = await ok<{ ancestors: Array<{ category: string; depth: number }> }>(ns, "GET", "/graph/category/TypeScript/ancestors");
    assert.deepEqual(anc.ancestors.map((a) => `${a.category}@${a.depth}`), ["Microsoft software@1", "Programming languages@1", "Computing@2", "Software@2", "Technology@3"]);
    assert.equal((await ok<{ subsumes: boolean; depth: number }>(ns, "POST", "/graph/category/subsumes", { parent: "Category:Technology", child: "Category:TypeScript" })).depth, 3);
    assert.equal((await ok<{ nearest: string }>(ns, "POST", "/graph/category/common-ancestors", { categories: ["Software", "Programming languages"], maxDepth: 5 })).nearest, "Computing");
    assert.equal((await ok<{ descendants: number }>(ns, "GET", "/graph/category/Computing/descendants/count")).descendants, 4);

    // A → B → C → D and A → E → D, and F → A: two 3-hop paths, no shortcut.
    await ok(ns, "POST", "/ingest/links/graph", { edges: [["A", "B"], ["B", "C"], ["C", "D"], ["A", "E"], ["E", "C"], ["E", "D"], ["F", "A"]].map(([from, to]) => ({ from, to })) });
    const sp = await ok<{ hops: number; path: string[] }>(ns, "POST", "/graph/path/shortest", { from: "A", to: "D", maxDepth: 6 });
    assert.deepEqual([sp.hops, sp.path], [2, ["A", "E", "D"]]);
    assert.equal((await ok<{ hops: number }>(ns, "POST", "/graph/path/bidirectional", { from: "F", to: "D", maxDepth: 6 })).hops, 3);
    const allPaths = await ok<{ paths: string[][] }>(ns, "POST", "/graph/path/all", { from: "A", to: "D", maxDepth: 3, maxPaths: 10 });
    assert.deepEqual(allPaths.paths.map((p) => p.join("")).sort(), ["ABCD", "AECD", "AED"]);
    assert.equal((await ok<{ found: boolean }>(ns, "POST", "/graph/path/shortest", { from: "D", to: "A", maxDepth: 6 })).found, false, "links have a direction");
    const pr = await ok<{ top: Array<{ title: string }>; converged: boolean }>(ns, "POST", "/graph/analysis/local-pagerank", { seed: "A", hops: 3, iterations: 50 });
    assert.equal(pr.top[0]?.title, "D", "D is linked most, through everything");
    assert.deepEqual((await ok<{ common: string[] }>(ns, "POST", "/graph/links/common", { articles: ["B", "E"], direction: "outbound" })).common, ["C"]);
    assert.equal((await ok<{ similarity: number }>(ns, "POST", "/graph/similarity/links", { article1: "B", article2: "E" })).similarity, 0.5);
  });

  it("sends articles to the partitions of their first letters, and asks every partition at once", async () => {
    // The coordinator is wikipedia. itself: its partitions a.wikipedia … z.wikipedia are objects of their own.
    const arts = [
      { title: "Apple", text: "Apple orchards and cider.", categories: ["Fruit"], links: ["Banana"] },
      { title: "Apricot", text: "Apricot jam.", categories: ["Fruit"], links: [] },
      { title: "Banana", text: "Banana bread with cider.", categories: ["Fruit"], links: ["Cherry"] },
      { title: "Cherry", text: "Cherry pie.", categories: ["Dessert"], links: [] },
    ];
    const routed = await ok<{ partitions: Array<{ partition: string; ingested: number }> }>("wikipedia", "POST", "/ingest/articles/auto-partition", { articles: arts });
    assert.deepEqual(routed.partitions, [{ partition: "a.wikipedia", ingested: 2 }, { partition: "b.wikipedia", ingested: 1 }, { partition: "c.wikipedia", ingested: 1 }]);
    assert.equal((await ok<{ title: string }>("a.wikipedia", "GET", "/article/Apricot")).title, "Apricot");
    const fruit = await ok<{ articles: string[] }>("wikipedia", "POST", "/scatter/category/articles", { category: "Fruit", partitions: "all", limit: 50 });
    assert.deepEqual(fruit.articles, ["Apple", "Apricot", "Banana"]);
    const found = await ok<{ results: Array<{ title: string }> }>("wikipedia", "POST", "/scatter/search/bm25", { query: "cider", partitions: "all", k: 5, kPerPartition: 5, merge: "global_rerank" });
    assert.deepEqual(found.results.map((r) => r.title).sort(), ["Apple", "Banana"]);
    const path = await ok<{ path: string[] }>("wikipedia", "POST", "/scatter/graph/path", { from: "Apple", to: "Cherry", maxDepth: 4, partitions: "all" });
    assert.deepEqual(path.path, ["Apple", "Banana", "Cherry"], "the path crosses three partitions");
    assert.deepEqual((await ok<{ links: string[] }>("wikipedia", "POST", "/scatter/graph/links/inbound", { article: "Cherry", partitions: "all" })).links, ["Banana"]);
  });

  it("serializes its index to the bucket and reads it back, and embeds text the same way every time", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/ingest/articles", { articles: [{ title: "Kept", text: "kept words", categories: ["Box"], links: ["Other"] }] });
    const dest = `r2://indexes/wikipedia/${ns}.idx`;
    assert.equal((await ok<{ articles: number }>(ns, "POST", "/index/serialize", { destination: dest })).articles, 1);
    await ok(ns, "POST", "/index/clear");
    assert.equal((await call(ns, "GET", "/article/Kept")).status, 404);
    await ok(ns, "POST", "/index/deserialize", { source: dest });
    assert.deepEqual((await ok<{ categories: string[] }>(ns, "GET", "/article/Kept/categories")).categories, ["Box"]);
    assert.deepEqual((await ok<{ results: Array<{ title: string }> }>(ns, "POST", "/search", { query: "words" })).results.map((r) => r.title), ["Kept"]);
    const e1 = await ok<{ embedding: number[]; model: string }>(ns, "POST", "/index/vector/embed", { text: "graph databases", model: "bge-base-en-v1.5" });
    assert.equal(e1.model, "hashed-bag-of-words-768", "the model named is not run, and the answer says so");
    await ok(ns, "POST", "/index/vector/build", { embeddings: [{ id: "x", vector: e1.embedding }, { id: "y", vector: (await ok<{ embedding: number[] }>(ns, "POST", "/index/vector/embed", { text: "apple pie" })).embedding }] });
    assert.equal((await ok<{ results: Array<{ id: string }> }>(ns, "POST", "/index/vector/search", { vector: e1.embedding, k: 1 })).results[0]?.id, "x");
  });
});

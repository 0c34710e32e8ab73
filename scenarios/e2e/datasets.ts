// E2E: the dataset families with a graph of their own. The web crawl graph (web.): crawl records in
// as host-level edges, then out-links, backlinks, PageRank, HITS, components and a subgraph, each
// checked against what the records imply. The graph of typed ids (graph.): relationships between ids
// holding a slash, walked from and to; standards. walked as one graph (shortest path, similarity); and
// APQC's process hierarchy (apqc.): ancestors, a path through the common ancestor, a subtree; and
// Wikidata (wiki.): entities in, statements and edges out, labels by prefix; Wikipedia (wikipedia.):
// an XML export's wikitext read, a path along links, BM25, a category gathered from every partition;
// Wiktionary (wiktionary.): entries, etymology chains, prefixes, partitions flushed and counted, BM25
// across partitions; O*NET (onet.): a tool's UNSPSC hierarchy, tool similarity, a task's inferred
// skills. Every iteration works on objects (and names) of its own (`web-e2e-<run>`), so every answer
// is exact. Gate: 100 % of checks (thresholds/e2e/datasets.json).

import exec from "k6/execution";
import { graphApi, webgraphApi } from "../../lib/k6/api/webgraph.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

interface Ranked { domain: string; pageRank?: number; authorityScore?: number }

/** A WAT record: the page `from` and its links, as Common Crawl's metadata files give them. */
const wat = (from: string, links: string[]) => ({
  envelope: {
    "WARC-Header-Metadata": { "WARC-Target-URI": `https://${from}/index.html` },
    "Payload-Metadata": { "HTTP-Response-Metadata": { "HTML-Metadata": { Links: links.map((to) => ({ url: `https://${to}/page`, path: "A@/href" })) } } },
  },
});

function webChecks(run: string): void {
  const web = webgraphApi(namespaceClient(target, `web-e2e-${run}`));
  // Four sites link to hub.com (news.com twice, from two of its pages); hub.com links back to one of
  // them; lone.org and its neighbour form a component of their own.
  const records = [
    wat("news.com", ["hub.com", "hub.com", "blog.example.com"]),
    wat("blog.example.com", ["hub.com", "shop.example.com"]),
    wat("shop.example.com", ["hub.com"]),
    wat("forum.net", ["hub.com"]),
    wat("hub.com", ["news.com"]),
    wat("lone.org", ["neighbour.org"]),
  ];
  const ingested = body<{ records: number; edges: number }>(web.ingestWat(records));
  expect("web", "WAT records become one edge per link between two hosts", ingested.records === 6 && ingested.edges === 9);
  const out = body<Array<{ to: string; weight: number }>>(web.outLinks("news.com"));
  expect("web", "out-links sorted by weight: a link repeated on a page adds weight", Array.isArray(out) && out.length === 2 && out[0]?.to === "hub.com" && out[0].weight === 2 && out[1]?.to === "blog.example.com");
  expect("web", "a host's backlinks are counted", body<{ count: number }>(web.backlinkCount("hub.com")).count === 4);

  const pr = body<{ nodes: number; converged: boolean }>(web.pageRank(100));
  expect("web", "PageRank runs over every host of the graph and converges", pr.nodes === 7 && pr.converged === true);
  const ranked = body<Ranked[]>(web.pageRankTop(20));
  const score = (d: string) => (Array.isArray(ranked) ? ranked.find((r) => r.domain === d)?.pageRank ?? 0 : 0);
  expect("web", "the most linked host ranks first, above twice a host nothing links to", Array.isArray(ranked) && ranked[0]?.domain === "hub.com" && score("hub.com") > 2 * score("forum.net"));
  expect("web", "PageRank scores sum to 1", Array.isArray(ranked) && Math.abs(ranked.reduce((s, r) => s + (r.pageRank ?? 0), 0) - 1) < 1e-6);
  web.hits(20);
  expect("web", "HITS: the most linked host is the top authority", body<Ranked[]>(web.topAuthorities(1))[0]?.domain === "hub.com");
  const wcc = body<{ components: number; largest: number }>(web.components());
  expect("web", "weakly connected components: the crawl's five hosts, and lone.org with its neighbour", wcc.components === 2 && wcc.largest === 5);
  const sub = body<{ edges: Array<{ from: string; to: string }> }>(web.subgraph("*.example.com"));
  const pairs = (sub.edges ?? []).map((e) => `${e.from}>${e.to}`).sort();
  expect("web", "a subgraph by host pattern holds exactly the matching hosts' out-links", pairs.join(",") === "blog.example.com>hub.com,blog.example.com>shop.example.com,shop.example.com>hub.com");
}

function graphChecks(run: string): void {
  const graph = graphApi(namespaceClient(target, `graph-e2e-${run}`));
  graph.relate("Occupation/15-1252.00", "uses", "Tool/IDE-001");
  graph.relate("Occupation/15-1252.00", "uses", "Tool/Git");
  graph.relate("Occupation/15-1252.00", "requires", "Skill/Programming");
  graph.relate("Occupation/15-1253.00", "uses", "Tool/IDE-001");
  const uses = body<Array<{ to: string }>>(graph.from("Occupation/15-1252.00", "uses"));
  expect("graph", "relationships from an id holding a slash, filtered by verb", Array.isArray(uses) && uses.map((r) => r.to).sort().join(",") === "Tool/Git,Tool/IDE-001");
  const users = body<Array<{ from: string }>>(graph.to("Tool/IDE-001"));
  expect("graph", "relationships to an id: every occupation using the tool", Array.isArray(users) && users.map((r) => r.from).sort().join(",") === "Occupation/15-1252.00,Occupation/15-1253.00");
}

function standardsChecks(run: string): void {
  const client = namespaceClient(target, `standards-e2e-${run}`);
  const graph = graphApi(client);
  client.post("datasets.seed-occupations", "/occupations/batch", { rows: [["15-1252.00", "Software Developers"], ["15-1253.00", "Software Testers"], ["29-1141.00", "Nurses"]].map(([code, title]) => ({ code, title, major_group: code?.slice(0, 2) })) });
  client.post("datasets.seed-tools", "/tools/batch", { rows: [["t1", "15-1252.00", "43232402"], ["t2", "15-1253.00", "43232408"], ["t3", "29-1141.00", "42181902"]].map(([id, occupation, unspsc]) => ({ id, occupation, tool: `tool ${id}`, category: "c", unspsc })) });
  client.post("datasets.seed-commodities", "/commodities/batch", { rows: ["43232402", "43232408", "42181902"].map((code) => ({ code, title: code, segment: code.slice(0, 2), family: code.slice(0, 4), class: code.slice(0, 6), segment_title: "" })) });
  const path = body<{ found: boolean; hops: number; path: Array<{ node: { id: string } }> }>(graph.shortestPath({ type: "occupation", id: "15-1252.00" }, { type: "occupation", id: "15-1253.00" }, 6));
  expect("graph", "standards: the shortest path between two occupations goes through their tools' shared UNSPSC class", path.found === true && path.hops === 6 && path.path?.[3]?.node.id === "432324");
  const none = body<{ found: boolean }>(graph.shortestPath({ type: "occupation", id: "15-1252.00" }, { type: "occupation", id: "29-1141.00" }, 6));
  expect("graph", "standards: no path within the hop limit when the tools share no segment", none.found === false);
  const sim = body<{ results: Array<{ occupation: string }> }>(graph.similar("15-1252.00", 5));
  expect("graph", "standards: the occupation sharing a tool class is the most similar, the unrelated one absent", sim.results?.[0]?.occupation === "15-1253.00" && !sim.results.some((r) => r.occupation === "29-1141.00"));
}

function processChecks(run: string): void {
  const apqc = namespaceClient(target, `apqc-e2e-${run}`);
  const rows = [["8.0", "Manage Information Technology"], ["8.1", "Manage IT strategy"], ["8.1.1", "Align IT strategy with business strategy"], ["8.1.1.1", "Analyze business requirements"], ["8.1.1.2", "Plan IT capacity"], ["8.2", "Manage IT services"]];
  apqc.post("apqc.import", "/processes/batch", { processes: rows.map(([pcf_id, name]) => ({ pcf_id, name })) });
  const ancestors = body<Array<{ pcf_id: string; name: string | null }>>(apqc.get("apqc.ancestors", "/processes/pcf/8.1.1.1/ancestors"));
  expect("processes", "an activity's ancestors, nearest first, named", Array.isArray(ancestors) && ancestors.map((a) => a.pcf_id).join(",") === "8.1.1,8.1,8.0" && ancestors[2]?.name === "Manage Information Technology");
  const path = body<{ common_ancestor: string; hops: number }>(apqc.post("apqc.path", "/processes/path", { from_id: "8.1.1.1", to_id: "8.2" }));
  expect("processes", "the path between two processes runs through their lowest common ancestor", path.common_ancestor === "8.0" && path.hops === 4);
  const sub = body<{ count: number }>(apqc.post("apqc.subtree", "/processes/subtree", { root_id: "8.1", max_depth: 1 }));
  expect("processes", "a subtree stops at its depth limit", sub.count === 2);
}

function wikidataChecks(run: string): void {
  const wiki = namespaceClient(target, `wiki-e2e-${run}`);
  const item = (id: string, label: string, claims: Record<string, string[]>) => ({
    id, type: "item", labels: { en: { language: "en", value: label } },
    claims: Object.fromEntries(Object.entries(claims).map(([p, objects]) => [p, objects.map((o) => ({ mainsnak: { snaktype: "value", property: p, datavalue: { value: { "entity-type": "item", id: o }, type: "wikibase-entityid" } }, rank: "normal" }))])),
  });
  const batch = body<{ entities: number; statements: number }>(wiki.post("wiki.ingest-batch", "/ingest/batch", { entities: [item("Q42", "Douglas Adams", { P31: ["Q5"], P106: ["Q36180", "Q214917"] }), item("Q937", "Albert Einstein", { P31: ["Q5"] }), item("Q5", "human", {})] }));
  expect("wiki", "Wikibase entities in: one statement per claim", batch.entities === 3 && batch.statements === 4);
  const humans = body<Array<{ subject: string }>>(wiki.get("wiki.statements", "/statements?predicate=P31&object=Q5"));
  expect("wiki", "statements by predicate and object: every instance of human", Array.isArray(humans) && humans.map((h) => h.subject).sort().join(",") === "Q42,Q937");
  const out = body<Array<{ predicate: string; object: string }>>(wiki.get("wiki.edges-from", "/graph/edges/from/Q42"));
  expect("wiki", "an entity's out-edges are its claims", Array.isArray(out) && out.map((e) => `${e.predicate}>${e.object}`).join(",") === "P106>Q214917,P106>Q36180,P31>Q5");
  const found = body<Array<{ id: string }>>(wiki.get("wiki.label-search", "/labels/search?q=Albert*&language=en"));
  expect("wiki", "a label prefix finds its entity", Array.isArray(found) && found[0]?.id === "Q937");
}

function wikipediaChecks(run: string): void {
  const wp = namespaceClient(target, `wikipedia-e2e-${run}`);
  const wikitext = [
    "'''TypeScript''' is a [[programming language]] by [[Microsoft]].",
    "",
    "{{Infobox software",
    "| developer = [[Microsoft]]",
    "| released = {{Start date|2012|10|01}}",
    "}}",
    "",
    "== History ==",
    "Made public in 2012.",
    "",
    "[[Category:Programming languages]]",
    "[[Category:Microsoft software]]",
  ].join("\n");
  const xml = `<mediawiki><page><title>TypeScript</title><id>1</id><revision><text xml:space="preserve">${wikitext}</text></revision></page></mediawiki>`;
  const read = body<{ pages: number }>(wp.post("wikipedia.ingest-xml", "/ingest/xml/stream", xml, { headers: { "content-type": "application/xml" } }));
  expect("wikipedia", "a MediaWiki XML export becomes its articles", read.pages === 1);
  const a = body<{ infobox: { fields: Record<string, string> }; categories: string[]; links: string[] }>(wp.get("wikipedia.article", "/article/TypeScript?include=infobox,categories,links"));
  expect("wikipedia", "wikitext read: categories, links, and infobox templates rendered as text", (a.categories ?? []).join() === "Microsoft software,Programming languages" && (a.links ?? []).join() === "Microsoft,Programming language" && a.infobox?.fields?.released === "October 1, 2012");
  wp.post("wikipedia.links-graph", "/ingest/links/graph", { edges: [["A", "B"], ["B", "C"], ["C", "D"], ["A", "E"], ["E", "D"]].map(([from, to]) => ({ from, to })) });
  const sp = body<{ path: string[] }>(wp.post("wikipedia.path", "/graph/path/shortest", { from: "A", to: "D", maxDepth: 6 }));
  expect("wikipedia", "the shortest path along links", (sp.path ?? []).join(">") === "A>E>D");
  wp.post("wikipedia.articles", "/ingest/articles", { articles: [{ title: "Consensus", text: "Distributed consensus keeps replicas in agreement." }, { title: "Gardens", text: "Plants and soil." }] });
  const hits = body<{ results: Array<{ title: string }> }>(wp.post("wikipedia.bm25", "/search/bm25", { query: "distributed consensus", k: 5 }));
  expect("wikipedia", "BM25 search finds the article with the words, and only it", (hits.results ?? []).map((r) => r.title).join() === "Consensus");
  // Across partitions: articles sent to a.wikipedia, b.wikipedia … by first letter, then gathered.
  const fruit = `Fruit ${run}`;
  const coord = namespaceClient(target, "wikipedia");
  coord.post("wikipedia.auto-partition", "/ingest/articles/auto-partition", { articles: ["Apple", "Banana", "Cherry"].map((t) => ({ title: `${t} ${run}`, text: `${t}.`, categories: [fruit] })) });
  const gathered = body<{ articles: string[] }>(coord.post("wikipedia.scatter-category", "/scatter/category/articles", { category: fruit, partitions: "all", limit: 50 }));
  expect("wikipedia", "a category's articles gathered from every partition", (gathered.articles ?? []).length === 3);
}

function wiktionaryChecks(run: string): void {
  const wk = namespaceClient(target, `wiktionary-e2e-${run}`);
  const entry = (word: string, pos: string, gloss: string, etymology = "") => ({ word, pos, lang: "English", senses: [{ glosses: [gloss] }], etymology_text: etymology, forms: [{ form: `${word}s`, tags: ["plural"] }] });
  wk.post("wiktionary.ingest-batch", "/ingest/batch", { entries: [entry("run", "verb", "To move swiftly on foot.", "From Middle English rinnen, from Old English rinnan"), entry("run", "noun", "An act of running."), entry("runway", "noun", "A strip where aircraft take off.")] });
  expect("wiktionary", "a word's entries, one per part of speech", body<{ count: number }>(wk.get("wiktionary.word", "/word/run")).count === 2);
  const tree = body<{ trees: Array<Array<{ language: string }>> }>(wk.get("wiktionary.etymology-tree", "/word/run/etymology/tree"));
  expect("wiktionary", "the etymology read as a chain of languages", (tree.trees?.[0] ?? []).map((n) => n.language).join(">") === "Middle English>Old English");
  expect("wiktionary", "completion by prefix", (body<{ suggestions: string[] }>(wk.post("wiktionary.autocomplete", "/autocomplete", { prefix: "run" })).suggestions ?? []).join() === "run,runway");
  wk.post("wiktionary.partition-write", "/partition/b/write", { entries: [entry("bread", "noun", "Food baked from dough.")] });
  wk.post("wiktionary.partition-write", "/partition/c/write", { entries: [entry("cake", "noun", "A sweet food baked from dough."), entry("cook", "verb", "To prepare food.")] });
  const flushed = body<{ flushed: number }>(wk.post("wiktionary.partition-flush", "/partition/c/flush"));
  expect("wiktionary", "a partition's writes flushed to the bucket as one chunk", flushed.flushed === 2);
  expect("wiktionary", "counts summed over every partition", body<{ count: number }>(wk.post("wiktionary.scatter-count", "/scatter/count", { partitions: "all", aggregate: "sum" })).count === 3);
  const bm = body<{ results: Array<{ word: string }> }>(wk.post("wiktionary.scatter-bm25", "/scatter/search/bm25", { query: "dough", partitions: "all", k: 10 }));
  expect("wiktionary", "BM25 across partitions finds every entry with the word", (bm.results ?? []).map((r) => r.word).sort().join() === "bread,cake");
}

function onetChecks(run: string): void {
  const onet = namespaceClient(target, `onet-e2e-${run}`);
  onet.post("onet.tool", "/tools", { id: "t1", name: "Compiler suite", occupation_codes: ["15-1252.00", "15-1253.00"], category: "software", commodity_code: "43232402" });
  onet.post("onet.tool", "/tools", { id: "t2", name: "Torque wrench", occupation_codes: ["15-1253.00"], category: "hand tools", commodity_code: "27111701" });
  const h = body<{ hierarchy: Record<string, { code: string }> }>(onet.get("onet.tool-unspsc", "/tools/t1/unspsc"));
  expect("onet", "a tool's UNSPSC hierarchy from its code", Object.values(h.hierarchy ?? {}).map((x) => x.code).join() === "43,4323,432324,43232402");
  expect("onet", "two occupations' tools compared (one shared of two)", body<{ tools: { jaccard: number } }>(onet.post("onet.tool-similarity", "/tools/similarity", { occupation_a: "15-1252.00", occupation_b: "15-1253.00" })).tools?.jaccard === 0.5);
  onet.post("onet.task", "/tasks", { id: "a1", occupation_code: "15-1252.00", description: "Write and debug program code", importance: 4.5 });
  const skills = body<{ source: string; skills: Array<{ skill: string }> }>(onet.get("onet.task-skills", "/tasks/a1/skills"));
  expect("onet", "a task's skills, inferred from its text and said to be", skills.source === "inferred" && (skills.skills ?? []).some((s) => s.skill === "Programming"));
}

export default function (): void {
  const run = `${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${Date.now().toString(36)}`;
  webChecks(run);
  graphChecks(run);
  standardsChecks(run);
  processChecks(run);
  wikidataChecks(run);
  wikipediaChecks(run);
  wiktionaryChecks(run);
  onetChecks(run);
}

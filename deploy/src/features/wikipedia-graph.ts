import type { IRequest, RouterType } from "itty-router";
import { check, q, s as v, withBody, withQuery } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { hits, indexed, pageRank } from "../graph-algorithms";
import { fail, json } from "../http";
import { all, first, param } from "../sql";
import { categoryName, normalTitle } from "../wiki/wikitext";
import { bm25Stats, commonLinks, PARTITIONS, partitionOf, rankBm25, type Bm25Stats } from "./wikipedia";

// Wikipedia as a graph (contract §10), over wikipedia.ts's tables: the category hierarchy (parents,
// ancestors, descendants, common ancestors, subsumption), the link graph (degrees, common links,
// shortest, bidirectional and all paths), analyses of an article's neighbourhood (PageRank and HITS
// inside the object, ../graph-algorithms.ts), similarity (Jaccard of categories and of links), and the
// same asked of every partition at once (`/scatter/…`, `partitions: "all"` or a list of letters).
// Every walk is bounded: MAX_NODES nodes visited, depths as each route says.

const MAX_NODES = 2_000;
const Title = v.string({ pattern: /^[^#<>[\]{}|]{1,255}$/, expected: "a title" });
const Depth = (max: number) => v.optional(v.number({ integer: true, min: 1, max }));
const Partitions = v.optional(v.union(v.literal("all"), v.array(v.literal(...PARTITIONS), { min: 1, max: PARTITIONS.length }), '"all" or a list of partition letters'));

/** Breadth first from `start` along `next`, at most `maxDepth` steps and MAX_NODES nodes: each node with its depth. */
function walk(start: string[], next: (node: string) => string[], maxDepth: number): Map<string, number> {
  const seen = new Map(start.map((s) => [s, 0]));
  let frontier = start;
  for (let d = 1; d <= maxDepth && frontier.length > 0 && seen.size < MAX_NODES; d++) {
    const nextFrontier: string[] = [];
    for (const n of frontier) {
      for (const m of next(n)) {
        if (seen.has(m)) continue;
        seen.set(m, d);
        nextFrontier.push(m);
        if (seen.size >= MAX_NODES) break;
      }
    }
    frontier = nextFrontier;
  }
  return seen;
}

const jaccard = (a: string[], b: string[]): number => {
  const sa = new Set(a);
  const inter = b.filter((x) => sa.has(x)).length;
  const union = new Set([...a, ...b]).size;
  return union === 0 ? 0 : inter / union;
};

function graphRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const parents = (c: string) => all<{ p: string }>(sql, "SELECT parent AS p FROM wp_parents WHERE child = ?", c).map((r) => r.p);
  const children = (c: string) => all<{ c: string }>(sql, "SELECT child AS c FROM wp_parents WHERE parent = ? LIMIT 1000", c).map((r) => r.c);
  const out = (t: string) => all<{ d: string }>(sql, "SELECT dst AS d FROM wp_links WHERE src = ? LIMIT 1000", t).map((r) => r.d);
  const inn = (t: string) => all<{ s: string }>(sql, "SELECT src AS s FROM wp_links WHERE dst = ? LIMIT 1000", t).map((r) => r.s);
  const cats = (t: string) => all<{ c: string }>(sql, "SELECT category AS c FROM wp_categories WHERE title = ?", t).map((r) => r.c);
  const cat = (request: IRequest) => categoryName(param(request, "category"));
  const title = (request: IRequest) => normalTitle(param(request, "title"));
  /** `?maxDepth=`: 1 to `max`, `fallback` when absent. */
  const DepthQuery = (fallback: number, max: number) => ({ maxDepth: v.withDefault(q.int({ min: 1, max }), fallback) });

  // ---- categories ----
  router.get("/graph/category/:category/parents", (request) => json({ category: cat(request), parents: parents(cat(request)).sort() }));
  router.get("/graph/category/:category/children", (request) => json({ category: cat(request), children: children(cat(request)).sort() }));
  router.get("/graph/category/:category/ancestors", withQuery(DepthQuery(10, 20), ({ maxDepth }, request) => {
    const found = walk([cat(request)], parents, maxDepth);
    found.delete(cat(request));
    return json({ category: cat(request), ancestors: [...found].map(([category, depth]) => ({ category, depth })).sort((a, b) => a.depth - b.depth || (a.category < b.category ? -1 : 1)) });
  }));
  router.get("/graph/category/:category/descendants/count", withQuery(DepthQuery(5, 10), ({ maxDepth }, request) => {
    const found = walk([cat(request)], children, maxDepth);
    return json({ category: cat(request), descendants: found.size - 1, capped: found.size >= MAX_NODES });
  }));
  router.post("/graph/category/common-ancestors", withBody(v.object({ categories: v.array(v.string({ min: 1 }), { min: 2, max: 10 }), maxDepth: Depth(20) }), ({ categories, maxDepth }) => {
    const maps = categories.map((c) => walk([categoryName(c)], parents, maxDepth ?? 5));
    const shared = [...(maps[0] ?? new Map<string, number>()).keys()].filter((c) => maps.every((m) => m.has(c)));
    const ranked = shared.map((c) => ({ category: c, depth: maps.reduce((s, m) => s + (m.get(c) ?? 0), 0) })).sort((a, b) => a.depth - b.depth || (a.category < b.category ? -1 : 1));
    return json({ categories: categories.map(categoryName), common: ranked, nearest: ranked[0]?.category ?? null });
  }));
  router.post("/graph/category/subsumes", withBody(v.object({ parent: v.string({ min: 1 }), child: v.string({ min: 1 }), maxDepth: Depth(20) }), ({ parent, child, maxDepth }) => {
    const depth = walk([categoryName(child)], parents, maxDepth ?? 10).get(categoryName(parent));
    return json({ parent: categoryName(parent), child: categoryName(child), subsumes: depth !== undefined && depth > 0, depth: depth ?? null });
  }));

  // ---- links ----
  router.get("/graph/article/:title/links/outbound", (request) => json({ title: title(request), links: out(title(request)).sort() }));
  router.get("/graph/article/:title/links/inbound", (request) => json({ title: title(request), links: inn(title(request)).sort() }));
  router.get("/graph/article/:title/links/inbound/count", (request) => json({ title: title(request), count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wp_links WHERE dst = ?", title(request))?.n ?? 0 }));
  router.get("/graph/article/:title/links/expand", (request) => {
    const t = title(request);
    const hop1 = out(t);
    return json({ title: t, links: hop1.map((l) => ({ title: l, links: out(l).length })), reach2: walk([t], out, 2).size - 1 });
  });
  router.get("/graph/article/:title/degree/out", (request) => json({ title: title(request), degree: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wp_links WHERE src = ?", title(request))?.n ?? 0 }));
  router.get("/graph/article/:title/degree/in", (request) => json({ title: title(request), degree: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wp_links WHERE dst = ?", title(request))?.n ?? 0 }));
  router.post("/graph/links/common", withBody(v.object({ articles: v.array(Title, { min: 2, max: 10 }), direction: v.optional(v.literal("outbound", "inbound")) }), ({ articles, direction }) =>
    json({ articles: articles.map(normalTitle), direction: direction ?? "outbound", common: commonLinks(sql, articles.map(normalTitle), direction ?? "outbound") })));

  // ---- paths ----
  const PathBody = v.object({ from: Title, to: Title, maxDepth: Depth(6), maxPaths: v.optional(v.number({ integer: true, min: 1, max: 100 })) });
  /** A shortest path along out-links, found breadth first from `from` (and, bidirectional, from `to` back along in-links). */
  const shortest = (from: string, to: string, maxDepth: number, both: boolean): { path: string[] | null; visited: number } => {
    if (from === to) return { path: [from], visited: 1 };
    const prevF = new Map<string, string | null>([[from, null]]);
    const prevB = new Map<string, string | null>([[to, null]]);
    let fF = [from];
    let fB = [to];
    const pathVia = (meet: string) => {
      const left: string[] = [];
      for (let n: string | null | undefined = meet; n; n = prevF.get(n)) left.unshift(n);
      for (let n = prevB.get(meet); n; n = prevB.get(n)) left.push(n);
      return left;
    };
    for (let d = 0; d < maxDepth && (fF.length || fB.length) && prevF.size + prevB.size < 20 * MAX_NODES; d++) {
      const forward = !both || fF.length <= fB.length || fB.length === 0;
      const next: string[] = [];
      for (const n of forward ? fF : fB) {
        for (const m of forward ? out(n) : inn(n)) {
          const mine = forward ? prevF : prevB;
          if (mine.has(m)) continue;
          mine.set(m, n);
          if ((forward ? prevB : prevF).has(m)) return { path: pathVia(m), visited: prevF.size + prevB.size };
          next.push(m);
        }
      }
      if (forward) fF = next;
      else fB = next;
    }
    return { path: null, visited: prevF.size + prevB.size };
  };
  router.post("/graph/path/shortest", withBody(PathBody, ({ from, to, maxDepth }) => {
    const r = shortest(normalTitle(from), normalTitle(to), maxDepth ?? 6, false);
    return json({ from: normalTitle(from), to: normalTitle(to), found: r.path !== null, hops: r.path ? r.path.length - 1 : null, path: r.path, visited: r.visited });
  }));
  router.post("/graph/path/bidirectional", withBody(PathBody, ({ from, to, maxDepth }) => {
    const r = shortest(normalTitle(from), normalTitle(to), maxDepth ?? 6, true);
    return json({ from: normalTitle(from), to: normalTitle(to), found: r.path !== null, hops: r.path ? r.path.length - 1 : null, path: r.path, visited: r.visited, bidirectional: true });
  }));
  // Every simple path up to maxDepth (at most 4) hops, at most maxPaths of them, depth first.
  router.post("/graph/path/all", withBody(v.object({ from: Title, to: Title, maxDepth: Depth(4), maxPaths: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), ({ from, to, maxDepth, maxPaths }) => {
    const [a, b] = [normalTitle(from), normalTitle(to)];
    const paths: string[][] = [];
    let expanded = 0;
    const dfs = (path: string[]) => {
      if (paths.length >= (maxPaths ?? 10) || expanded >= 20 * MAX_NODES) return;
      const last = path[path.length - 1] as string;
      if (last === b) return void paths.push(path);
      if (path.length > (maxDepth ?? 3)) return;
      expanded++;
      for (const m of out(last)) if (!path.includes(m)) dfs([...path, m]);
    };
    dfs([a]);
    return json({ from: a, to: b, count: paths.length, paths, expanded });
  }));

  // ---- analysis ----
  /** The neighbourhood of `seed` (out- and in-links, `hops` deep) and the links among it. */
  const neighbourhood = (seed: string, hopCount: number) => {
    const nodes = walk([seed], (n) => [...out(n), ...inn(n)], hopCount);
    const edges = [...nodes.keys()].flatMap((n) => out(n).filter((m) => nodes.has(m)).map((m) => ({ from: n, to: m, weight: 1 })));
    return { nodes, graph: indexed(edges) };
  };
  const Analysis = v.object({ seed: Title, hops: Depth(3), iterations: v.optional(v.number({ integer: true, min: 1, max: 100 })), limit: v.optional(v.number({ integer: true, min: 1, max: 100 })) });
  router.post("/graph/analysis/local-pagerank", withBody(Analysis, ({ seed, hops: h, iterations, limit }) => {
    const { nodes, graph } = neighbourhood(normalTitle(seed), h ?? 2);
    const r = pageRank(graph, { damping: 0.85, maxIterations: iterations ?? 20, tolerance: 1e-6 });
    const ranked = graph.nodes.map((n, i) => ({ title: n, score: r.scores[i] ?? 0 })).sort((x, y) => y.score - x.score).slice(0, limit ?? 20);
    return json({ seed: normalTitle(seed), nodes: nodes.size, edges: graph.src.length, iterations: r.iterations, converged: r.converged, top: ranked });
  }));
  router.post("/graph/analysis/hits", withBody(Analysis, ({ seed, hops: h, iterations, limit }) => {
    const { nodes, graph } = neighbourhood(normalTitle(seed), h ?? 2);
    const r = hits(graph, { maxIterations: iterations ?? 20, tolerance: 1e-6 });
    const top = (scores: Float64Array) => graph.nodes.map((n, i) => ({ title: n, score: scores[i] ?? 0 })).sort((x, y) => y.score - x.score).slice(0, limit ?? 10);
    return json({ seed: normalTitle(seed), nodes: nodes.size, edges: graph.src.length, hubs: top(r.hubs), authorities: top(r.authorities) });
  }));
  router.post("/graph/analysis/top-hubs", withBody(v.object({ category: v.string({ min: 1 }), limit: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), ({ category, limit }) => {
    const rows = all<{ title: string; outDegree: number; inDegree: number }>(sql, `SELECT c.title, (SELECT COUNT(*) FROM wp_links WHERE src = c.title) AS outDegree, (SELECT COUNT(*) FROM wp_links WHERE dst = c.title) AS inDegree
      FROM wp_categories c WHERE c.category = ? ORDER BY outDegree DESC, c.title LIMIT ?`, categoryName(category), limit ?? 20);
    return json({ category: categoryName(category), hubs: rows });
  }));

  // ---- similarity ----
  const Pair = v.object({ article1: Title, article2: Title, direction: v.optional(v.literal("outbound", "inbound")), weights: v.optional(v.object({ category: v.optional(v.number({ min: 0 })), outbound: v.optional(v.number({ min: 0 })), inbound: v.optional(v.number({ min: 0 })) })) });
  const sims = (a: string, b: string) => ({ category: jaccard(cats(a), cats(b)), outbound: jaccard(out(a), out(b)), inbound: jaccard(inn(a), inn(b)) });
  router.post("/graph/similarity/category", withBody(Pair, ({ article1, article2 }) => json({ article1: normalTitle(article1), article2: normalTitle(article2), measure: "jaccard of categories", similarity: jaccard(cats(normalTitle(article1)), cats(normalTitle(article2))) })));
  router.post("/graph/similarity/links", withBody(Pair, ({ article1, article2, direction }) => {
    const [a, b] = [normalTitle(article1), normalTitle(article2)];
    const s = direction === "inbound" ? jaccard(inn(a), inn(b)) : jaccard(out(a), out(b));
    return json({ article1: a, article2: b, direction: direction ?? "outbound", measure: "jaccard of links", similarity: s });
  }));
  router.post("/graph/similarity/combined", withBody(Pair, ({ article1, article2, weights }) => {
    const w = { category: weights?.category ?? 1 / 3, outbound: weights?.outbound ?? 1 / 3, inbound: weights?.inbound ?? 1 / 3 };
    const total = w.category + w.outbound + w.inbound || 1;
    const s = sims(normalTitle(article1), normalTitle(article2));
    return json({ article1: normalTitle(article1), article2: normalTitle(article2), components: s, weights: w, similarity: (s.category * w.category + s.outbound * w.outbound + s.inbound * w.inbound) / total });
  }));
  // Candidates share an out-link or a category; ranked by the mean of the two Jaccard similarities.
  router.get("/graph/article/:title/similar", (request) => {
    const t = title(request);
    const candidates = all<{ t: string }>(sql, `SELECT src AS t FROM wp_links WHERE dst IN (SELECT dst FROM wp_links WHERE src = ?) AND src != ?
      UNION SELECT title AS t FROM wp_categories WHERE category IN (SELECT category FROM wp_categories WHERE title = ?) AND title != ? LIMIT 500`, t, t, t, t).map((r) => r.t);
    const ranked = candidates.map((c) => {
      const s = sims(t, c);
      return { title: c, similarity: (s.category + s.outbound) / 2, ...s };
    }).sort((a, b) => b.similarity - a.similarity || (a.title < b.title ? -1 : 1)).slice(0, 20);
    return json({ title: t, similar: ranked });
  });

  // ---- across partitions ----
  const partitionsOf = (p: "all" | string[] | undefined) => (p === undefined || p === "all" ? PARTITIONS : p);
  const base = () => ctx.namespace().replace(/^[a-z0]\./, "");
  const ask = <T>(p: "all" | string[] | undefined, method: string, payload: unknown) =>
    Promise.all(partitionsOf(p).map(async (letter) => ({ partition: `${letter}.${base()}`, answer: await ctx.peer(`${letter}.${base()}`).call<T>("wikipedia-graph", method, payload) })));
  const CategoryScatter = v.object({ category: v.string({ min: 1 }), partitions: Partitions, limit: v.optional(v.number({ integer: true, min: 1, max: 1_000 })), includeSubcategories: v.optional(v.boolean()), maxDepth: Depth(5) });
  const scatterArticles = async ({ category, partitions, limit }: { category: string; partitions?: "all" | string[]; limit?: number }) => {
    const parts = await ask<string[]>(partitions, "categoryArticles", { category: categoryName(category), limit: limit ?? 50 });
    const articles = parts.flatMap((p) => p.answer).sort().slice(0, limit ?? 50);
    return json({ category: categoryName(category), partitions: parts.length, count: articles.length, articles, perPartition: parts.filter((p) => p.answer.length).map((p) => ({ partition: p.partition, count: p.answer.length })) });
  };
  router.post("/scatter/category/articles", withBody(CategoryScatter, scatterArticles));
  router.post("/scatter/graph/category/articles", withBody(CategoryScatter, scatterArticles));
  router.post("/scatter/graph/category/count", withBody(CategoryScatter, async ({ category, partitions, includeSubcategories, maxDepth }) => {
    // The subcategories are read here (the hierarchy lives with the coordinator), the members counted in every partition.
    const categories = includeSubcategories ? [...walk([categoryName(category)], children, maxDepth ?? 2).keys()] : [categoryName(category)];
    const parts = await ask<number>(partitions, "categoryCount", { categories });
    return json({ category: categoryName(category), categories: categories.length, partitions: parts.length, count: parts.reduce((s, p) => s + p.answer, 0) });
  }));
  router.post("/scatter/graph/links/inbound", withBody(v.object({ article: Title, partitions: Partitions, limit: v.optional(v.number({ integer: true, min: 1, max: 1_000 })) }), async ({ article, partitions, limit }) => {
    const parts = await ask<string[]>(partitions, "inbound", { article: normalTitle(article), limit: limit ?? 100 });
    const links = parts.flatMap((p) => p.answer).sort();
    return json({ article: normalTitle(article), partitions: parts.length, count: links.length, links: links.slice(0, limit ?? 100) });
  }));
  // Breadth first across partitions: each level's frontier asked of the partitions its titles live in.
  router.post("/scatter/graph/path", withBody(v.object({ from: Title, to: Title, maxDepth: Depth(4), partitions: Partitions }), async ({ from, to, maxDepth }) => {
    const [a, b] = [normalTitle(from), normalTitle(to)];
    const prev = new Map<string, string | null>([[a, null]]);
    let frontier = [a];
    let calls = 0;
    for (let d = 0; d < (maxDepth ?? 4) && frontier.length && !prev.has(b); d++) {
      const byPartition = new Map<string, string[]>();
      for (const t of frontier.slice(0, MAX_NODES)) (byPartition.get(partitionOf(t)) ?? (byPartition.set(partitionOf(t), []), byPartition.get(partitionOf(t)) as string[])).push(t);
      const answers = await Promise.all([...byPartition].map(([letter, titles]) => ctx.peer(`${letter}.${base()}`).call<Record<string, string[]>>("wikipedia-graph", "outLinks", { titles })));
      calls += answers.length;
      const next: string[] = [];
      for (const links of answers) for (const [src, dsts] of Object.entries(links)) for (const dst of dsts) if (!prev.has(dst)) (prev.set(dst, src), next.push(dst));
      frontier = next;
    }
    const path: string[] = [];
    if (prev.has(b)) for (let n: string | null | undefined = b; n; n = prev.get(n)) path.unshift(n);
    return json({ from: a, to: b, found: path.length > 0, hops: path.length ? path.length - 1 : null, path: path.length ? path : null, partitionCalls: calls, visited: prev.size });
  }));
  router.post("/scatter/search/bm25", withBody(v.object({ query: v.string({ min: 1, pattern: /^.{1,500}$/s }), partitions: Partitions, k: v.optional(v.number({ integer: true, min: 1, max: 100 })), kPerPartition: v.optional(v.number({ integer: true, min: 1, max: 100 })), k1: v.optional(v.number({ min: 0, max: 3 })), b: v.optional(v.number({ min: 0, max: 1 })), merge: v.optional(v.literal("global_rerank", "concat")) }), async ({ query, partitions, k, kPerPartition, k1, b, merge }) => {
    const parts = await ask<Bm25Stats>(partitions, "bm25Stats", { query, perPartition: kPerPartition ?? 10 });
    // global_rerank: every candidate scored with the statistics of all partitions together.
    return json({ query, merge: merge ?? "global_rerank", partitions: parts.length, ...rankBm25(parts.map((p) => p.answer), k ?? 20, k1 ?? 1.2, b ?? 0.75) });
  }));
}

const Strings = v.array(v.string(), { max: MAX_NODES });
const payload = <T>(schema: { check(value: unknown, path: string, issues: string[]): T | undefined }, x: unknown, method: string): T => {
  const r = check(schema as never, x) as T | string;
  if (typeof r === "string") throw new Error(`wikipedia-graph.${method}: ${r}`);
  return r;
};

export const wikipediaGraph: Feature = {
  name: "wikipedia-graph",
  serves: ["wikipedia"],
  uses: ["wikipedia"],
  routes: graphRoutes,
  rpc: {
    categoryArticles: (ctx, p: never) => {
      const { category, limit } = payload(v.object({ category: v.string(), limit: v.number({ integer: true, min: 1, max: 1_000 }) }), p, "categoryArticles");
      return all<{ title: string }>(ctx.sql, "SELECT title FROM wp_categories WHERE category = ? ORDER BY title LIMIT ?", category, limit).map((r) => r.title);
    },
    categoryCount: (ctx, p: never) => {
      const { categories } = payload(v.object({ categories: Strings }), p, "categoryCount");
      return categories.length ? first<{ n: number }>(ctx.sql, `SELECT COUNT(DISTINCT title) AS n FROM wp_categories WHERE category IN (${categories.map(() => "?").join(", ")})`, ...categories)?.n ?? 0 : 0;
    },
    inbound: (ctx, p: never) => {
      const { article, limit } = payload(v.object({ article: v.string(), limit: v.number({ integer: true, min: 1, max: 1_000 }) }), p, "inbound");
      return all<{ src: string }>(ctx.sql, "SELECT src FROM wp_links WHERE dst = ? ORDER BY src LIMIT ?", article, limit).map((r) => r.src);
    },
    outLinks: (ctx, p: never) => {
      const { titles } = payload(v.object({ titles: Strings }), p, "outLinks");
      return Object.fromEntries(titles.map((t) => [t, all<{ dst: string }>(ctx.sql, "SELECT dst FROM wp_links WHERE src = ? LIMIT 1000", t).map((r) => r.dst)]));
    },
    bm25Stats: (ctx, p: never) => {
      const { query, perPartition } = payload(v.object({ query: v.string(), perPartition: v.number({ integer: true, min: 1, max: 100 }) }), p, "bm25Stats");
      return bm25Stats(ctx.sql, query, perPartition);
    },
  },
};

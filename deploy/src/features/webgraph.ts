import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { limitQuery, q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, first, param, parseJson } from "../sql";
import { components, hits, hops, hostOfUrl, indexed, labelPropagation, pageRank, registeredDomain, tldOf, type Edge } from "../graph-algorithms";

// The web crawl graph (web., and its TLD partitions com.web., org.web.): one object holds a host-level
// link graph, as Common Crawl's WAT and WARC files give it. Ingest turns crawl records into edges
// (host → host, a repeated link adds weight); queries read a host's out-links and backlinks, counts
// and top lists; the graph algorithms (PageRank, HITS, weakly connected components, label
// propagation, BFS path lengths) run inside the object over at most MAX_GRAPH_EDGES edges and store
// what they compute beside the domains. Scores, clusters and embeddings computed elsewhere can be
// seeded and read back. The routes are the ones perf.do's own crawl suite sends (docs/contract.md).

const MAX_ITEMS = 10_000; // per request: edges, URLs, records, scores
const MAX_GRAPH_EDGES = 200_000; // read by one algorithm run
const MAX_ITERATIONS = 100;
const MAX_PAYLOAD = 1_000_000; // characters of one WARC payload scanned for links
const Domain = v.string({ min: 1, pattern: /^[^\s/]{1,253}$/, expected: "a host name" });

function migrateWebgraph(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS web_edges (src TEXT NOT NULL, dst TEXT NOT NULL, weight REAL NOT NULL, src_tld TEXT NOT NULL, dst_tld TEXT NOT NULL, PRIMARY KEY (src, dst))");
  sql.exec("CREATE INDEX IF NOT EXISTS web_edges_dst ON web_edges (dst, weight)");
  sql.exec("CREATE INDEX IF NOT EXISTS web_edges_src_tld ON web_edges (src_tld)");
  sql.exec(`CREATE TABLE IF NOT EXISTS web_domains (domain TEXT PRIMARY KEY, tld TEXT NOT NULL, metadata TEXT, inbound INTEGER, outbound INTEGER,
    pagerank REAL, hub REAL, authority REAL, authority_score REAL, component INTEGER, cluster TEXT, cluster_confidence REAL, embedding TEXT)`);
  sql.exec("CREATE TABLE IF NOT EXISTS web_seen (src TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (src, dst))");
  sql.exec("CREATE TABLE IF NOT EXISTS web_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
}

const EdgeIn = v.object({ from: Domain, to: Domain, weight: v.optional(v.number({ min: 0, max: 1e9 })) });
const Edges = v.array(EdgeIn, { max: MAX_ITEMS });
const EdgesBody = v.object({ edges: Edges });
const Urls = v.array(v.string(), { max: MAX_ITEMS });
const Iterations = v.optional(v.number({ integer: true, min: 1, max: MAX_ITERATIONS }));
const Tolerance = v.optional(v.number({ min: 0, max: 1 }));
const Scores = v.array(v.record(), { max: MAX_ITEMS });

/** A host as the graph names it: from a URL or a bare host, lower case; null when neither. */
const hostOf = (text: string): string | null => hostOfUrl(text) ?? (/^[a-z0-9.-]{1,253}$/i.test(text) ? text.toLowerCase() : null);

function webgraphRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;

  /** Adds edges (a repeated one adds its weight), in one transaction. */
  const addEdges = (edges: ReadonlyArray<{ from: string; to: string; weight?: number }>): number =>
    transaction(() => {
      let n = 0;
      for (const e of edges) {
        if (e.from === e.to) continue;
        sql.exec("INSERT INTO web_edges (src, dst, weight, src_tld, dst_tld) VALUES (?, ?, ?, ?, ?) ON CONFLICT(src, dst) DO UPDATE SET weight = weight + excluded.weight", e.from, e.to, e.weight ?? 1, tldOf(e.from), tldOf(e.to));
        n++;
      }
      return n;
    });
  const readGraph = (limit = MAX_GRAPH_EDGES): Edge[] =>
    all<{ src: string; dst: string; weight: number }>(sql, "SELECT src, dst, weight FROM web_edges LIMIT ?", Math.min(limit, MAX_GRAPH_EDGES)).map((r) => ({ from: r.src, to: r.dst, weight: r.weight }));
  const setDomain = (domain: string, column: string, value: SqlStorageValue): void => {
    sql.exec(`INSERT INTO web_domains (domain, tld, ${column}) VALUES (?, ?, ?) ON CONFLICT(domain) DO UPDATE SET ${column} = excluded.${column}`, domain, tldOf(domain), value);
  };

  // ---- ingest: crawl records → host-level edges ----------------------------------------------------
  const linksOf = (source: string | null, urls: Iterable<string>): Array<{ from: string; to: string }> => {
    if (!source) return [];
    const out: Array<{ from: string; to: string }> = [];
    for (const u of urls) {
      const to = hostOfUrl(u);
      if (to && to !== source) out.push({ from: source, to });
    }
    return out;
  };
  router.post("/ingest/wat", withBody(v.object({ records: v.array(v.record(), { max: MAX_ITEMS }) }), ({ records }) => {
    const edges = records.flatMap((r) => {
      const env = (r.envelope ?? {}) as Record<string, Record<string, unknown>>;
      const target = String(env["WARC-Header-Metadata"]?.["WARC-Target-URI"] ?? "");
      const html = ((env["Payload-Metadata"]?.["HTTP-Response-Metadata"] as Record<string, Record<string, unknown>> | undefined)?.["HTML-Metadata"]?.Links ?? []) as Array<{ url?: unknown }>;
      return linksOf(hostOfUrl(target), (Array.isArray(html) ? html : []).slice(0, MAX_ITEMS).map((l) => String(l?.url ?? "")));
    });
    return json({ records: records.length, edges: addEdges(edges) }, 201);
  }));
  router.post("/ingest/warc", withBody(v.object({ record: v.record() }), ({ record }) => {
    const payload = String(record.payload ?? "").slice(0, MAX_PAYLOAD);
    const hrefs = [...payload.matchAll(/href\s*=\s*["']([^"']+)["']/gi)].slice(0, MAX_ITEMS).map((m) => m[1] as string);
    return json({ records: 1, edges: addEdges(linksOf(hostOfUrl(String(record["WARC-Target-URI"] ?? "")), hrefs)) }, 201);
  }));
  const Records = v.array(v.object({ sourceUrl: v.string(), links: v.array(v.record(), { max: 1000 }) }), { max: MAX_ITEMS });
  router.post("/ingest/batch", withBody(v.object({ records: v.optional(Records), edges: v.optional(Edges) }), ({ records = [], edges = [] }) => {
    const fromRecords = records.flatMap((r) => linksOf(hostOfUrl(r.sourceUrl), r.links.map((l) => String(l.url ?? ""))));
    if (fromRecords.length + edges.length > 5 * MAX_ITEMS) return fail(400, `POST /ingest/batch: ${fromRecords.length + edges.length} edges in one batch; at most ${5 * MAX_ITEMS}`);
    return json({ records: records.length, edges: addEdges([...fromRecords, ...edges]) }, 201);
  }));
  router.post("/ingest/stream", withBody(v.object({ streamId: v.optional(v.value()), chunk: v.optional(v.number({ integer: true, min: 0 })), edges: Edges, flush: v.optional(v.boolean()) }), (body) => {
    const stream = `stream:${String(body.streamId ?? "default").slice(0, 64)}`;
    const added = addEdges(body.edges);
    const total = Number(first<{ value: string }>(sql, "SELECT value FROM web_meta WHERE key = ?", stream)?.value ?? 0) + added;
    sql.exec("INSERT INTO web_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", stream, String(body.flush ? 0 : total));
    return json({ stream: String(body.streamId ?? "default"), chunk: body.chunk ?? null, received: added, total, flushed: body.flush === true }, 201);
  }));
  router.post("/ingest/chunk", withBody(v.object({ edges: Edges, offset: v.number({ integer: true, min: 0 }), total: v.number({ integer: true, min: 0 }) }), ({ edges, offset, total }) => {
    const added = addEdges(edges);
    return json({ offset, received: added, next: offset + edges.length, done: offset + edges.length >= total }, 201);
  }));

  // ---- extraction, dedup, aggregation, weights (computed from the body; dedup and weights keep state) ----
  router.post("/extract/hostnames", withBody(v.object({ urls: Urls }), ({ urls }) => json({ hostnames: urls.map(hostOfUrl) })));
  router.post("/extract/hostnames/batch", withBody(v.object({ urls: Urls }), ({ urls }) => {
    const counts = new Map<string, number>();
    let invalid = 0;
    for (const u of urls) {
      const h = hostOfUrl(u);
      if (h) counts.set(h, (counts.get(h) ?? 0) + 1);
      else invalid++;
    }
    return json({ urls: urls.length, unique: counts.size, invalid, hostnames: [...counts].map(([host, count]) => ({ host, count })) });
  }));
  router.post("/extract/tld", withBody(v.object({ domains: v.array(v.string(), { max: MAX_ITEMS }) }), ({ domains }) =>
    json({ tlds: domains.map((d) => ({ domain: d, tld: tldOf(hostOf(d) ?? d), registered: registeredDomain(hostOf(d) ?? d) })) }),
  ));
  router.post("/dedup/links", withBody(v.object({ source: v.string(), links: Urls }), ({ source, links }) => {
    const from = hostOfUrl(source) ?? hostOf(source);
    const unique = [...new Set(linksOf(from, links).map((e) => e.to))];
    return json({ source: from, links: links.length, unique, duplicates: links.length - unique.length });
  }));
  router.post("/dedup/seed", withBody(EdgesBody, ({ edges }) => {
    transaction(() => edges.forEach((e) => sql.exec("INSERT OR IGNORE INTO web_seen (src, dst) VALUES (?, ?)", e.from, e.to)));
    return json({ seeded: edges.length }, 201);
  }));
  const seen = (e: { from: string; to: string }): boolean => first(sql, "SELECT 1 AS x FROM web_seen WHERE src = ? AND dst = ?", e.from, e.to) !== undefined;
  router.post("/dedup/check", withBody(EdgesBody, ({ edges }) => json({ results: edges.map((e) => ({ from: e.from, to: e.to, seen: seen(e) })) })));
  router.post("/dedup/filter", withBody(EdgesBody, ({ edges }) => {
    const fresh = edges.filter((e) => !seen(e));
    transaction(() => fresh.forEach((e) => sql.exec("INSERT OR IGNORE INTO web_seen (src, dst) VALUES (?, ?)", e.from, e.to)));
    return json({ new: fresh, filtered: edges.length - fresh.length });
  }));
  const PageLinks = v.array(v.object({ page: v.string(), links: Urls }), { max: MAX_ITEMS });
  const domainEdges = (pages: ReadonlyArray<{ page: string; links: readonly string[] }>) => {
    const counts = new Map<string, number>();
    for (const p of pages) for (const e of linksOf(hostOfUrl(p.page), p.links)) counts.set(`${e.from} ${e.to}`, (counts.get(`${e.from} ${e.to}`) ?? 0) + 1);
    return [...counts].map(([k, pageLinks]) => ({ from: k.split(" ")[0] as string, to: k.split(" ")[1] as string, pageLinks }));
  };
  router.post("/aggregate/domain", withBody(v.object({ pageLinks: PageLinks }), ({ pageLinks }) => json({ edges: domainEdges(pageLinks) })));
  router.post("/aggregate/domain/batch", withBody(v.object({ links: PageLinks }), ({ links }) => {
    const edges = domainEdges(links);
    return json({ edges: edges.length, stored: addEdges(edges.map((e) => ({ from: e.from, to: e.to, weight: e.pageLinks }))) }, 201);
  }));
  router.post("/aggregate/subdomain", withBody(v.object({ links: v.array(v.object({ from: Domain, to: Domain }), { max: MAX_ITEMS }) }), ({ links }) => {
    const counts = new Map<string, number>();
    for (const l of links) counts.set(`${registeredDomain(l.from)} ${registeredDomain(l.to)}`, (counts.get(`${registeredDomain(l.from)} ${registeredDomain(l.to)}`) ?? 0) + 1);
    return json({ edges: [...counts].map(([k, count]) => ({ from: k.split(" ")[0], to: k.split(" ")[1], count })) });
  }));
  // Weight of a domain edge from its page-level link count, damped (log 1 + n) so one huge site does not dominate.
  router.post("/weights/compute", withBody(v.object({ pairs: v.array(v.object({ from: Domain, to: Domain, pageLinks: v.number({ min: 0 }) }), { max: MAX_ITEMS }) }), ({ pairs }) =>
    json({ weights: pairs.map((p) => ({ from: p.from, to: p.to, pageLinks: p.pageLinks, weight: Math.log1p(p.pageLinks) })) }),
  ));
  router.post("/weights/init", withBody(EdgesBody, ({ edges }) => {
    transaction(() => edges.forEach((e) => sql.exec("INSERT INTO web_edges (src, dst, weight, src_tld, dst_tld) VALUES (?, ?, ?, ?, ?) ON CONFLICT(src, dst) DO UPDATE SET weight = excluded.weight", e.from, e.to, e.weight ?? 1, tldOf(e.from), tldOf(e.to))));
    return json({ initialised: edges.length }, 201);
  }));
  router.post("/weights/increment", withBody(v.object({ updates: v.array(v.object({ from: Domain, to: Domain, increment: v.optional(v.number({ min: -1e9, max: 1e9 })) }), { max: MAX_ITEMS }) }), ({ updates }) =>
    json({ updated: addEdges(updates.map((u) => ({ from: u.from, to: u.to, weight: u.increment ?? 1 }))) }),
  ));

  // ---- edges and partitions ---------------------------------------------------------------------------
  router.post("/edges/batch", withBody(EdgesBody, ({ edges }) => json({ added: addEdges(edges) }, 201)));
  router.post("/edges/cross-tld", withBody(EdgesBody, ({ edges }) => {
    const cross = edges.filter((e) => tldOf(e.from) !== tldOf(e.to)).length;
    return json({ added: addEdges(edges), crossTld: cross }, 201);
  }));
  router.post("/edges/exists", withBody(EdgesBody, ({ edges }) =>
    json({ results: edges.map((e) => ({ from: e.from, to: e.to, exists: first(sql, "SELECT 1 AS x FROM web_edges WHERE src = ? AND dst = ?", e.from, e.to) !== undefined })) }),
  ));
  router.post("/edges", withBody(EdgeIn, (e) => (addEdges([e]) === 1 ? json({ from: e.from, to: e.to, added: true }, 201) : fail(400, "POST /edges: an edge from a host to itself is not a link"))));
  router.get("/edges/to/:domain/count", (request) => {
    const domain = param(request, "domain");
    return json({ domain, count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM web_edges WHERE dst = ?", domain)?.n ?? 0 });
  });
  router.get("/edges/to/:domain/tld-distribution", (request) => {
    const domain = param(request, "domain");
    return json({ domain, distribution: all<{ tld: string; count: number }>(sql, "SELECT src_tld AS tld, COUNT(*) AS count FROM web_edges WHERE dst = ? GROUP BY src_tld ORDER BY count DESC, tld", domain) });
  });
  // Out-links or backlinks: ?minWeight= &maxWeight=, ?sort=weight&order=desc, ?limit= &offset=.
  const EdgeQuery = {
    minWeight: v.optional(q.number({ min: -1e300, max: 1e300 })), maxWeight: v.optional(q.number({ min: -1e300, max: 1e300 })),
    sort: v.optional(q.oneOf("weight", "domain")), order: v.optional(q.oneOf("asc", "desc")),
    offset: v.withDefault(q.int({ min: 0, max: 1_000_000 }), 0), ...limitQuery(),
  };
  const edgeList = (column: "src" | "dst") => withQuery(EdgeQuery, (query, request) => {
    const min = query.minWeight ?? -Infinity;
    const max = query.maxWeight ?? Infinity;
    const order = query.sort === "weight" ? `weight ${query.order === "asc" ? "ASC" : "DESC"}` : column === "src" ? "dst" : "src";
    const rows = all<{ src: string; dst: string; weight: number }>(sql, `SELECT src, dst, weight FROM web_edges WHERE ${column} = ? AND weight >= ? AND weight <= ? ORDER BY ${order} LIMIT ? OFFSET ?`,
      param(request, "domain"), min === -Infinity ? -1e308 : min, max === Infinity ? 1e308 : max, query.limit, query.offset);
    return json(rows.map((r) => ({ from: r.src, to: r.dst, weight: r.weight })));
  });
  router.get("/edges/from/:domain", edgeList("src"));
  router.get("/edges/to/:domain", edgeList("dst"));
  router.post("/partition/route", withBody(EdgesBody, ({ edges }) => {
    const partitions: Record<string, number> = {};
    const routes = edges.map((e) => {
      const partition = tldOf(e.from);
      partitions[partition] = (partitions[partition] ?? 0) + 1;
      return { from: e.from, to: e.to, partition, namespace: `${partition}.web` };
    });
    return json({ partitions, routes });
  }));
  router.get("/partition/:tld/count", (request) => json({ tld: param(request, "tld"), count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM web_edges WHERE src_tld = ?", param(request, "tld"))?.n ?? 0 }));
  router.get("/partition/:tld/stats", (request) => {
    const tld = param(request, "tld");
    const s = first<{ edges: number; domains: number; weight: number }>(sql, "SELECT COUNT(*) AS edges, COUNT(DISTINCT src) AS domains, COALESCE(SUM(weight), 0) AS weight FROM web_edges WHERE src_tld = ?", tld);
    return json({ tld, ...s });
  });
  router.get("/partition/:tld/top", withQuery(limitQuery(), ({ limit }, request) =>
    json(all(sql, "SELECT src AS domain, COUNT(*) AS outbound FROM web_edges WHERE src_tld = ? GROUP BY src ORDER BY outbound DESC LIMIT ?", param(request, "tld"), limit))));
  router.get("/stats/tld/top", withQuery(limitQuery(), ({ limit }) =>
    json(all(sql, "SELECT tld, COUNT(*) AS domains FROM (SELECT src AS d, src_tld AS tld FROM web_edges UNION SELECT dst, dst_tld FROM web_edges) GROUP BY tld ORDER BY domains DESC LIMIT ?", limit))));
  router.get("/stats/tld/:tld/count", (request) => {
    const tld = param(request, "tld");
    return json({ tld, count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM (SELECT src FROM web_edges WHERE src_tld = ? UNION SELECT dst FROM web_edges WHERE dst_tld = ?)", tld, tld)?.n ?? 0 });
  });

  // ---- domains: metadata, counts, lookups --------------------------------------------------------------
  router.post("/domains/index", withBody(v.object({ domain: Domain, metadata: v.optional(v.record()) }), ({ domain, metadata }) => {
    setDomain(domain, "metadata", JSON.stringify(metadata ?? {}));
    return json({ domain, indexed: true }, 201);
  }));
  router.post("/domains/stats", withBody(v.object({ domain: Domain, inboundCount: v.number({ integer: true, min: 0 }), outboundCount: v.optional(v.number({ integer: true, min: 0 })) }), (body) => {
    transaction(() => {
      setDomain(body.domain, "inbound", body.inboundCount);
      if (body.outboundCount !== undefined) setDomain(body.domain, "outbound", body.outboundCount);
    });
    return json({ domain: body.domain, stored: true }, 201);
  }));
  // Counts given by /domains/stats where there are some, else counted from the edges.
  router.get("/domains/top", withQuery({ sortBy: v.optional(q.oneOf("inbound", "outbound")), ...limitQuery() }, ({ sortBy, limit }) => {
    const by = sortBy === "outbound" ? "outbound" : "inbound";
    const counted = by === "inbound" ? "SELECT dst AS domain, COUNT(*) AS n FROM web_edges GROUP BY dst" : "SELECT src AS domain, COUNT(*) AS n FROM web_edges GROUP BY src";
    return json(all(sql, `SELECT domain, MAX(n) AS ${by} FROM (SELECT domain, ${by} AS n FROM web_domains WHERE ${by} IS NOT NULL UNION ALL ${counted}) GROUP BY domain ORDER BY ${by} DESC LIMIT ?`, limit));
  }));
  router.get("/domains/prefix/:prefix", withQuery(limitQuery(), ({ limit }, request) => {
    const prefix = param(request, "prefix").replace(/[\\%_]/g, (c) => `\\${c}`);
    return json(all(sql, "SELECT domain, tld FROM web_domains WHERE domain LIKE ? ESCAPE '\\' ORDER BY domain LIMIT ?", `${prefix}%`, limit));
  }));
  router.get("/domains/:domain", (request) => {
    const domain = param(request, "domain");
    const row = first<{ metadata: string | null; inbound: number | null; outbound: number | null }>(sql, "SELECT metadata, inbound, outbound FROM web_domains WHERE domain = ?", domain);
    const inbound = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM web_edges WHERE dst = ?", domain)?.n ?? 0;
    const outbound = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM web_edges WHERE src = ?", domain)?.n ?? 0;
    if (!row && inbound + outbound === 0) return fail(404, `no domain ${domain}`);
    return json({ domain, tld: tldOf(domain), metadata: row?.metadata ? parseJson(row.metadata) : null, inbound: row?.inbound ?? inbound, outbound: row?.outbound ?? outbound });
  });

  // ---- seeded scores: authority, embeddings, clusters, component sizes ----------------------------------
  router.post("/authority/seed", withBody(v.object({ domains: v.array(v.object({ domain: Domain, score: v.number(), inboundCount: v.optional(v.number()), outboundCount: v.optional(v.number()) }), { max: MAX_ITEMS }) }), ({ domains }) => {
    transaction(() => domains.forEach((d) => {
      setDomain(d.domain, "authority_score", d.score);
      if (d.inboundCount !== undefined) setDomain(d.domain, "inbound", d.inboundCount);
      if (d.outboundCount !== undefined) setDomain(d.domain, "outbound", d.outboundCount);
    }));
    return json({ seeded: domains.length }, 201);
  }));
  const authorityOf = (domain: string) => first<{ domain: string; score: number; inbound: number | null; outbound: number | null }>(sql, "SELECT domain, authority_score AS score, inbound, outbound FROM web_domains WHERE domain = ? AND authority_score IS NOT NULL", domain);
  router.post("/authority/batch", withBody(v.object({ domains: v.array(Domain, { max: 1000 }) }), ({ domains }) => json({ results: domains.map((d) => authorityOf(d) ?? { domain: d, score: null }) })));
  router.get("/authority/top", withQuery(limitQuery(), ({ limit }, request) => json(all(sql, "SELECT domain, authority_score AS score FROM web_domains WHERE authority_score IS NOT NULL ORDER BY authority_score DESC LIMIT ?", limit))));
  router.get("/authority/:domain", (request) => authorityOf(param(request, "domain")) ? json(authorityOf(param(request, "domain"))) : fail(404, `no authority score for ${param(request, "domain")}`));
  router.post("/embeddings/seed", withBody(v.object({ domains: v.array(v.object({ domain: Domain, embedding: v.array(v.number(), { min: 1, max: 1024 }) }), { max: MAX_ITEMS }) }), ({ domains }) => {
    transaction(() => domains.forEach((d) => setDomain(d.domain, "embedding", JSON.stringify(d.embedding))));
    return json({ seeded: domains.length }, 201);
  }));
  // Cosine similarity against every seeded embedding of the same length (at most MAX_ITEMS rows read).
  router.get("/embeddings/similar/:domain", withQuery(limitQuery(10), ({ limit }, request) => {
    const domain = param(request, "domain");
    const mine = first<{ embedding: string }>(sql, "SELECT embedding FROM web_domains WHERE domain = ? AND embedding IS NOT NULL", domain);
    if (!mine) return fail(404, `no embedding for ${domain}`);
    const q = parseJson(mine.embedding) as number[];
    const norm = (x: number[]) => Math.sqrt(x.reduce((s, a) => s + a * a, 0)) || 1;
    const scored = all<{ domain: string; embedding: string }>(sql, "SELECT domain, embedding FROM web_domains WHERE embedding IS NOT NULL AND domain != ? LIMIT ?", domain, MAX_ITEMS)
      .map((r) => ({ domain: r.domain, e: parseJson(r.embedding) as number[] }))
      .filter((r) => r.e.length === q.length)
      .map((r) => ({ domain: r.domain, similarity: r.e.reduce((s, a, i) => s + a * (q[i] as number), 0) / (norm(r.e) * norm(q)) }))
      .sort((a, b) => b.similarity - a.similarity);
    return json(scored.slice(0, limit));
  }));
  router.post("/algorithms/cluster/seed", withBody(v.object({ assignments: v.array(v.object({ domain: Domain, clusterId: v.string(), confidence: v.optional(v.number({ min: 0, max: 1 })) }), { max: MAX_ITEMS }) }), ({ assignments }) => {
    transaction(() => assignments.forEach((a) => (setDomain(a.domain, "cluster", a.clusterId), setDomain(a.domain, "cluster_confidence", a.confidence ?? null))));
    return json({ seeded: assignments.length }, 201);
  }));
  const Clustering = v.object({ algorithm: v.optional(v.string()), minClusterSize: v.optional(v.number({ integer: true, min: 1 })), rounds: v.optional(v.number({ integer: true, min: 1, max: 50 })) });
  // Label propagation over in-links (co-cited hosts) or out-links; the answer names what ran.
  const cluster = (side: "in" | "out") => withBody(Clustering, (body) => {
    const g = indexed(readGraph());
    const labels = labelPropagation(g, side, body.rounds ?? 10);
    const sizes = new Map<number, number>();
    for (const l of labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
    const kept = [...sizes].filter(([, n]) => n >= (body.minClusterSize ?? 1));
    transaction(() => g.nodes.forEach((d, i) => setDomain(d, "cluster", `${side}-${g.nodes[labels[i] as number]}`)));
    return json({ algorithm: "label-propagation", requested: body.algorithm ?? null, side: side === "in" ? "inbound" : "outbound", nodes: g.nodes.length, clusters: kept.length, largest: Math.max(0, ...kept.map(([, n]) => n)) });
  });
  router.post("/algorithms/cluster/inbound", cluster("in"));
  router.post("/algorithms/cluster/outbound", cluster("out"));
  router.get("/algorithms/cluster/:domain", (request) => {
    const row = first<{ cluster: string | null; cluster_confidence: number | null }>(sql, "SELECT cluster, cluster_confidence FROM web_domains WHERE domain = ?", param(request, "domain"));
    return row?.cluster ? json({ domain: param(request, "domain"), clusterId: row.cluster, confidence: row.cluster_confidence }) : fail(404, `no cluster for ${param(request, "domain")}`);
  });
  router.post("/algorithms/components/distribution", withBody(v.object({ distribution: v.array(v.object({ size: v.union(v.number(), v.string(), "a size or a size range"), count: v.number({ min: 0 }) }), { max: 1000 }) }), ({ distribution }) => {
    sql.exec("INSERT INTO web_meta (key, value) VALUES ('components', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", JSON.stringify(distribution));
    return json({ stored: distribution.length }, 201);
  }));
  router.get("/algorithms/components/distribution", () => {
    const stored = first<{ value: string }>(sql, "SELECT value FROM web_meta WHERE key = 'components'");
    if (stored) return json({ source: "seeded", distribution: parseJson(stored.value) });
    const sizes = all<{ size: number; count: number }>(sql, "SELECT size, COUNT(*) AS count FROM (SELECT component, COUNT(*) AS size FROM web_domains WHERE component IS NOT NULL GROUP BY component) GROUP BY size ORDER BY size");
    return json({ source: "computed", distribution: sizes });
  });
  router.post("/algorithms/components/wcc", withBody(v.object({ sampleSize: v.optional(v.number({ integer: true, min: 1 })) }), ({ sampleSize }) => {
    const g = indexed(readGraph(sampleSize));
    const comp = components(g);
    const sizes = new Map<number, number>();
    for (const c of comp) sizes.set(c, (sizes.get(c) ?? 0) + 1);
    transaction(() => g.nodes.forEach((d, i) => setDomain(d, "component", comp[i] as number)));
    return json({ nodes: g.nodes.length, edges: g.src.length, components: sizes.size, largest: Math.max(0, ...sizes.values()) });
  }));

  // ---- ranking: PageRank and HITS, computed here or seeded ------------------------------------------------
  const storedScores = (g: ReturnType<typeof indexed>, column: "pagerank" | "hub" | "authority"): Float64Array | undefined => {
    const known = new Map(all<{ domain: string; s: number }>(sql, `SELECT domain, ${column} AS s FROM web_domains WHERE ${column} IS NOT NULL`).map((r) => [r.domain, r.s]));
    return known.size === 0 ? undefined : Float64Array.from(g.nodes, (d) => known.get(d) ?? 1 / Math.max(1, g.nodes.length));
  };
  const PageRankBody = v.object({ dampingFactor: v.optional(v.number({ min: 0, max: 1 })), maxIterations: Iterations, iterations: Iterations, convergenceThreshold: Tolerance, newEdges: v.optional(Edges) });
  const runPageRank = (body: { dampingFactor?: number; maxIterations?: number; iterations?: number; convergenceThreshold?: number }, fromStored: boolean) => {
    const read = indexed(readGraph());
    const g = ctx.fault === "pagerank-ignores-links" ? { ...read, src: new Int32Array(0), dst: new Int32Array(0) } : read;
    const r = pageRank(g, { damping: body.dampingFactor ?? 0.85, maxIterations: body.maxIterations ?? body.iterations ?? 20, tolerance: body.convergenceThreshold ?? 1e-6, start: fromStored ? storedScores(g, "pagerank") : undefined });
    transaction(() => g.nodes.forEach((d, i) => setDomain(d, "pagerank", r.scores[i] as number)));
    return json({ nodes: g.nodes.length, edges: g.src.length, iterations: r.iterations, delta: r.delta, converged: r.converged });
  };
  router.post("/algorithms/pagerank/compute", withBody(PageRankBody, (body) => runPageRank(body, false)));
  router.post("/algorithms/pagerank/iterate", withBody(PageRankBody, (body) => runPageRank({ ...body, maxIterations: body.maxIterations ?? body.iterations ?? 1, convergenceThreshold: 0 }, true)));
  router.post("/algorithms/pagerank/update", withBody(PageRankBody, (body) => {
    addEdges(body.newEdges ?? []);
    return runPageRank({ ...body, maxIterations: body.iterations ?? body.maxIterations ?? 1, convergenceThreshold: 0 }, true);
  }));
  router.post("/algorithms/pagerank/init", withBody(v.object({ domainCount: v.optional(v.number({ integer: true, min: 0 })) }), () => {
    const g = indexed(readGraph());
    transaction(() => g.nodes.forEach((d) => setDomain(d, "pagerank", 1 / g.nodes.length)));
    return json({ nodes: g.nodes.length, score: g.nodes.length ? 1 / g.nodes.length : null });
  }));
  router.post("/algorithms/pagerank/seed", withBody(v.object({ scores: Scores }), ({ scores }) => {
    const rows = scores.map((s) => ({ domain: String(s.domain ?? ""), score: Number(s.pageRank ?? s.score) })).filter((s) => s.domain && Number.isFinite(s.score));
    transaction(() => rows.forEach((s) => setDomain(s.domain, "pagerank", s.score)));
    return json({ seeded: rows.length }, 201);
  }));
  router.get("/algorithms/pagerank/top", withQuery(limitQuery(), ({ limit }, request) => json(all(sql, "SELECT domain, pagerank AS pageRank FROM web_domains WHERE pagerank IS NOT NULL ORDER BY pagerank DESC LIMIT ?", limit))));
  router.get("/algorithms/pagerank/:domain", (request) => {
    const row = first<{ s: number }>(sql, "SELECT pagerank AS s FROM web_domains WHERE domain = ? AND pagerank IS NOT NULL", param(request, "domain"));
    return row ? json({ domain: param(request, "domain"), pageRank: row.s }) : fail(404, `no PageRank for ${param(request, "domain")}`);
  });
  const HitsBody = v.object({ iterations: Iterations, convergenceThreshold: Tolerance });
  const runHits = (body: { iterations?: number; convergenceThreshold?: number }, fromStored: boolean, fallbackIterations: number) => {
    const g = indexed(readGraph());
    const hubs = fromStored ? storedScores(g, "hub") : undefined;
    const authorities = fromStored ? storedScores(g, "authority") : undefined;
    const r = hits(g, { maxIterations: body.iterations ?? fallbackIterations, tolerance: fromStored ? 0 : (body.convergenceThreshold ?? 1e-6), start: hubs && authorities ? { hubs, authorities } : undefined });
    transaction(() => g.nodes.forEach((d, i) => (setDomain(d, "hub", r.hubs[i] as number), setDomain(d, "authority", r.authorities[i] as number))));
    return json({ nodes: g.nodes.length, edges: g.src.length, iterations: r.iterations, delta: r.delta, converged: r.converged });
  };
  router.post("/algorithms/hits/compute", withBody(HitsBody, (body) => runHits(body, false, 20)));
  router.post("/algorithms/hits/iterate", withBody(HitsBody, (body) => runHits(body, true, 1)));
  router.post("/algorithms/hits/seed", withBody(v.object({ scores: Scores }), ({ scores }) => {
    const rows = scores.map((s) => ({ domain: String(s.domain ?? ""), hub: Number(s.hubScore ?? s.hub), authority: Number(s.authorityScore ?? s.authority) })).filter((s) => s.domain && Number.isFinite(s.hub) && Number.isFinite(s.authority));
    transaction(() => rows.forEach((s) => (setDomain(s.domain, "hub", s.hub), setDomain(s.domain, "authority", s.authority))));
    return json({ seeded: rows.length }, 201);
  }));
  router.get("/algorithms/hits/top-hubs", withQuery(limitQuery(), ({ limit }, request) => json(all(sql, "SELECT domain, hub AS hubScore FROM web_domains WHERE hub IS NOT NULL ORDER BY hub DESC LIMIT ?", limit))));
  router.get("/algorithms/hits/top-authorities", withQuery(limitQuery(), ({ limit }, request) => json(all(sql, "SELECT domain, authority AS authorityScore FROM web_domains WHERE authority IS NOT NULL ORDER BY authority DESC LIMIT ?", limit))));

  // ---- whole-graph statistics, subgraphs, aggregation -----------------------------------------------------
  const nodeCount = (): number => first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM (SELECT src FROM web_edges UNION SELECT dst FROM web_edges)")?.n ?? 0;
  router.get("/algorithms/stats/density", () => {
    const n = nodeCount();
    const e = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM web_edges")?.n ?? 0;
    return json({ nodes: n, edges: e, density: n > 1 ? e / (n * (n - 1)) : 0 });
  });
  router.get("/algorithms/stats/degree-distribution", () =>
    json({ outDegree: all(sql, "SELECT degree, COUNT(*) AS domains FROM (SELECT COUNT(*) AS degree FROM web_edges GROUP BY src) GROUP BY degree ORDER BY degree LIMIT 1000") }),
  );
  // Mean hops between reachable pairs, by breadth-first search from up to `sampleSize` sources (≤ 200).
  router.post("/algorithms/stats/avg-path-length", withBody(v.object({ sampleSize: v.optional(v.number({ integer: true, min: 1 })) }), ({ sampleSize }) => {
    const g = indexed(readGraph());
    const sources = Math.min(sampleSize ?? 100, 200, g.nodes.length);
    let sum = 0;
    let pairs = 0;
    let diameter = 0;
    for (let k = 0; k < sources; k++) {
      const from = Math.floor((k * g.nodes.length) / sources);
      for (const d of hops(g, from)) if (d > 0) ((sum += d), pairs++, (diameter = Math.max(diameter, d)));
    }
    return json({ sources, pairs, averagePathLength: pairs ? sum / pairs : null, longestSeen: diameter });
  }));
  router.post("/algorithms/subgraph/extract", withBody(v.object({ pattern: v.string({ min: 1 }), includeOutbound: v.optional(v.boolean()), includeInbound: v.optional(v.boolean()), limit: v.optional(v.number({ integer: true, min: 1, max: MAX_ITEMS })) }), (body) => {
    const like = body.pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, "%");
    const sides = [body.includeOutbound !== false ? "src LIKE ? ESCAPE '\\'" : null, body.includeInbound ? "dst LIKE ? ESCAPE '\\'" : null].filter((s) => s !== null);
    if (sides.length === 0) return fail(400, "POST /algorithms/subgraph/extract: includeOutbound and includeInbound are both false: no side to match");
    const rows = all<{ src: string; dst: string; weight: number }>(sql, `SELECT src, dst, weight FROM web_edges WHERE ${sides.join(" OR ")} LIMIT ?`, ...sides.map(() => like), body.limit ?? 1000);
    const nodes = new Set(rows.flatMap((r) => [r.src, r.dst]));
    return json({ pattern: body.pattern, nodes: nodes.size, edges: rows.map((r) => ({ from: r.src, to: r.dst, weight: r.weight })) });
  }));
  // SQLite groups in its own bounded memory and spills to its temp store: the budget is the database's.
  router.post("/algorithms/aggregate", withBody(v.object({ operation: v.literal("count-by-tld", "count-by-domain"), memoryBudgetMB: v.optional(v.number({ min: 1 })), spillToDisk: v.optional(v.boolean()) }), ({ operation }) =>
    json({ operation, groups: operation === "count-by-tld" ? all(sql, "SELECT src_tld AS tld, COUNT(*) AS edges FROM web_edges GROUP BY src_tld ORDER BY edges DESC LIMIT 1000") : all(sql, "SELECT src AS domain, COUNT(*) AS edges FROM web_edges GROUP BY src ORDER BY edges DESC LIMIT 1000") }),
  ));
}

export const webgraph: Feature = {
  name: "webgraph",
  serves: ["web"],
  schema: { migrations: [migrateWebgraph] },
  routes: webgraphRoutes,
};

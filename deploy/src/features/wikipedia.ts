import type { IRequest, RouterType } from "itty-router";
import { q, s as v, withBody, withQuery } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, json, refuse } from "../http";
import { fromBase64, Location, readJsonLocation, toBase64, writeLocation } from "../iceberg/index-store";
import { ftsQuery, terms } from "../search-text";
import { all, first, param } from "../sql";
import { vectorRoutes } from "../wiki/vector-routes";
import { categoryName, normalizeFields, normalTitle, parseWikitext, templateName, xmlPages, type Parsed } from "../wiki/wikitext";

// Wikipedia (wikipedia., its partitions a.wikipedia … z.wikipedia, contract §10): articles as
// MediaWiki holds them, read from wikitext (../wiki/wikitext.ts: text, sections, infobox, categories,
// links) or given as parts; categories and their parents; links between articles; full-text search
// (SQLite FTS5, BM25); infoboxes queried and aggregated by field; vectors searched exactly. Titles
// compare as MediaWiki compares them (`Article_1` is `Article 1`), categories without `Category:`.
// `POST /ingest/articles/auto-partition` sends each article to the partition of its first letter.
// The graph routes (wikipedia-graph.ts) read the same tables. Bounds: a request carries at most
// MAX_BATCH articles (MAX_TEXT characters each), or an XML export of at most MAX_XML characters.

const MAX_BATCH = 5_000;
const MAX_TEXT = 200_000;
const MAX_XML = 20_000_000;
const MAX_PAGES = 5_000;
export const PARTITIONS = [..."abcdefghijklmnopqrstuvwxyz", "0"];

/** The partition of a title: its first letter, `0` for anything else. */
export const partitionOf = (title: string): string => {
  const c = normalTitle(title).charAt(0).toLowerCase();
  return c >= "a" && c <= "z" ? c : "0";
};

function migrateWikipedia(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS wp_articles (title TEXT PRIMARY KEY, id INTEGER, text TEXT NOT NULL, summary TEXT NOT NULL,
    sections TEXT NOT NULL, wikitext TEXT, reads INTEGER NOT NULL DEFAULT 0)`);
  sql.exec("CREATE TABLE IF NOT EXISTS wp_infobox (title TEXT PRIMARY KEY, template TEXT NOT NULL, fields TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wp_infobox_fields (title TEXT NOT NULL, template TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (title, field)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS wp_infobox_tf ON wp_infobox_fields (template, field, value)");
  sql.exec("CREATE TABLE IF NOT EXISTS wp_categories (title TEXT NOT NULL, category TEXT NOT NULL, PRIMARY KEY (title, category)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS wp_categories_c ON wp_categories (category, title)");
  sql.exec("CREATE TABLE IF NOT EXISTS wp_parents (child TEXT NOT NULL, parent TEXT NOT NULL, PRIMARY KEY (child, parent)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS wp_parents_p ON wp_parents (parent, child)");
  sql.exec("CREATE TABLE IF NOT EXISTS wp_links (src TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (src, dst)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS wp_links_dst ON wp_links (dst, src)");
  sql.exec("CREATE VIRTUAL TABLE IF NOT EXISTS wp_fts USING fts5(title, text, tokenize = 'unicode61')");
  sql.exec("CREATE TABLE IF NOT EXISTS wp_vectors (id TEXT PRIMARY KEY, vec BLOB NOT NULL)");
}

const Title = v.string({ pattern: /^[^#<>[\]{}|]{1,255}$/, expected: "a title (1-255 characters, none of # < > [ ] { } |)" });
const Text = v.string({ pattern: new RegExp(`^[^]{0,${MAX_TEXT}}$`), expected: `at most ${MAX_TEXT} characters` });
const Names = v.array(v.string({ pattern: /^.{1,255}$/s, expected: "a name of 1-255 characters" }), { max: 500 });
const ArticleBody = v.object({
  title: Title,
  id: v.optional(v.number({ integer: true, min: 0 })),
  text: v.optional(Text),
  wikitext: v.optional(Text),
  categories: v.optional(Names),
  links: v.optional(Names),
  infobox: v.optional(v.record()),
});
type Article = { title: string; id?: number; text?: string; wikitext?: string; categories?: string[]; links?: string[]; infobox?: Record<string, unknown> };
const WikitextBody = v.object({ title: v.optional(v.string()), wikitext: Text });

/** Writing articles and infoboxes into an object's tables (routes and the partition RPC both do). */
function articleStore(sql: SqlStorage) {
  /** Stores an article: its text indexed, its categories, links and infobox replacing what it had. */
  const putArticle = (a: Article): { title: string; categories: number; links: number; infobox: boolean } => {
    const title = normalTitle(a.title);
    const looksWiki = a.wikitext !== undefined || /\[\[|\{\{|^==/m.test(a.text ?? "");
    const parsed: Parsed = looksWiki
      ? parseWikitext(a.wikitext ?? a.text ?? "")
      : { text: a.text ?? "", summary: (a.text ?? "").slice(0, 500), sections: [{ title: "", depth: 0, text: a.text ?? "" }], categories: [], links: [], infobox: null };
    const categories = [...new Set([...parsed.categories, ...(a.categories ?? []).map(categoryName)])];
    const links = [...new Set([...parsed.links, ...(a.links ?? []).map(normalTitle)])].filter((l) => l !== title);
    const old = first<{ rowid: number }>(sql, "SELECT rowid FROM wp_articles WHERE title = ?", title);
    if (old) sql.exec("DELETE FROM wp_fts WHERE rowid = ?", old.rowid);
    sql.exec("INSERT INTO wp_articles (title, id, text, summary, sections, wikitext) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(title) DO UPDATE SET id = excluded.id, text = excluded.text, summary = excluded.summary, sections = excluded.sections, wikitext = excluded.wikitext",
      title, a.id ?? null, parsed.text, parsed.summary, JSON.stringify(parsed.sections), looksWiki ? (a.wikitext ?? a.text ?? null) : null);
    const rowid = (first<{ rowid: number }>(sql, "SELECT rowid FROM wp_articles WHERE title = ?", title) as { rowid: number }).rowid;
    sql.exec("INSERT INTO wp_fts (rowid, title, text) VALUES (?, ?, ?)", rowid, title, parsed.text);
    sql.exec("DELETE FROM wp_categories WHERE title = ?", title);
    for (const c of categories) sql.exec("INSERT OR IGNORE INTO wp_categories (title, category) VALUES (?, ?)", title, c);
    sql.exec("DELETE FROM wp_links WHERE src = ?", title);
    for (const l of links) sql.exec("INSERT OR IGNORE INTO wp_links (src, dst) VALUES (?, ?)", title, l);
    const box = parsed.infobox ?? (a.infobox ? { template: String(a.infobox.template ?? ""), fields: Object.fromEntries(Object.entries(a.infobox).filter(([k]) => k !== "template").map(([k, x]) => [k, String(x)])) } : null);
    if (box) putInfobox(title, box.template, box.fields);
    return { title, categories: categories.length, links: links.length, infobox: box !== null };
  };
  const putInfobox = (title: string, template: string, fields: Record<string, string>): void => {
    const t = templateName(template);
    sql.exec("INSERT OR REPLACE INTO wp_infobox (title, template, fields) VALUES (?, ?, ?)", title, t, JSON.stringify(fields));
    sql.exec("DELETE FROM wp_infobox_fields WHERE title = ?", title);
    for (const [k, x] of Object.entries(fields)) if (x !== "") sql.exec("INSERT OR REPLACE INTO wp_infobox_fields (title, template, field, value) VALUES (?, ?, ?, ?)", title, t, k.toLowerCase(), String(x).slice(0, 1000));
  };
  return { putArticle, putInfobox };
}

function wikipediaRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;

  const { putArticle, putInfobox } = articleStore(sql);
  const putArticles = (articles: Article[]) => {
    const out = transaction(() => articles.map(putArticle));
    return json({ ingested: out.length, categories: out.reduce((s, a) => s + a.categories, 0), links: out.reduce((s, a) => s + a.links, 0), infoboxes: out.filter((a) => a.infobox).length }, 201);
  };

  // ---- ingest --------------------------------------------------------------------------------------
  router.post("/ingest/articles", withBody(v.object({ articles: v.array(ArticleBody, { min: 1, max: MAX_BATCH }) }), ({ articles }) => putArticles(articles)));
  router.post("/ingest/article", withBody(ArticleBody, (a) => putArticles([a])));
  // Each article to the partition of its first letter (a.wikipedia … z.wikipedia, 0.wikipedia), by RPC.
  router.post("/ingest/articles/auto-partition", withBody(v.object({ articles: v.array(ArticleBody, { min: 1, max: MAX_BATCH }) }), async ({ articles }) => {
    const groups = new Map<string, Article[]>();
    for (const a of articles) (groups.get(partitionOf(a.title)) ?? (groups.set(partitionOf(a.title), []), groups.get(partitionOf(a.title)) as Article[])).push(a);
    const base = ctx.namespace().replace(/^[a-z0]\./, "");
    const done = await Promise.all([...groups].map(async ([p, list]) => ({ partition: `${p}.${base}`, ingested: await ctx.peer(`${p}.${base}`).call<number>("wikipedia", "ingest", list) })));
    return json({ ingested: articles.length, partitions: done.sort((a, b) => (a.partition < b.partition ? -1 : 1)) }, 201);
  }));
  router.post("/ingest/xml/stream", async (request) => {
    const route = "POST /ingest/xml/stream";
    const length = Number(request.headers.get("content-length") ?? 0);
    if (length > MAX_XML) return fail(413, `${route}: the export is ${length} bytes; at most ${MAX_XML}`);
    const xml = await (request as unknown as Request).text();
    if (xml.length > MAX_XML) return fail(413, `${route}: the export is ${xml.length} characters; at most ${MAX_XML}`);
    const pages = [...xmlPages(xml)];
    if (pages.length === 0) return fail(400, `${route}: no <page> with a <title> in the body (a MediaWiki XML export)`);
    if (pages.length > MAX_PAGES) return fail(413, `${route}: ${pages.length} pages; at most ${MAX_PAGES} a request`);
    const started = Date.now();
    const res = putArticles(pages.map((p) => ({ title: p.title, id: p.id ?? undefined, wikitext: p.wikitext.slice(0, MAX_TEXT) })));
    const body = (await res.json()) as Record<string, unknown>;
    return json({ ...body, pages: pages.length, bytes: xml.length, parseMs: Date.now() - started }, 201);
  });
  // Reading wikitext without storing it.
  router.post("/ingest/article/extract-text", withBody(WikitextBody, ({ title, wikitext }) => {
    const p = parseWikitext(wikitext);
    return json({ title: title && normalTitle(title), text: p.text, summary: p.summary, words: terms(p.text).length });
  }));
  router.post("/ingest/article/batch-extract", withBody(v.object({ articles: v.array(WikitextBody, { min: 1, max: MAX_BATCH }) }), ({ articles }) =>
    json({ articles: articles.map((a) => { const p = parseWikitext(a.wikitext); return { title: a.title && normalTitle(a.title), text: p.text, words: terms(p.text).length }; }) })));
  router.post("/ingest/article/sections", withBody(WikitextBody, ({ title, wikitext }) => json({ title: title && normalTitle(title), sections: parseWikitext(wikitext).sections })));
  router.post("/ingest/infobox/extract", withBody(WikitextBody, ({ title, wikitext }) => json({ title: title && normalTitle(title), infobox: parseWikitext(wikitext).infobox })));
  router.post("/ingest/infobox/batch", withBody(v.object({ articles: v.array(WikitextBody, { min: 1, max: MAX_BATCH }) }), ({ articles }) =>
    json({ infoboxes: articles.map((a) => ({ title: a.title && normalTitle(a.title), infobox: parseWikitext(a.wikitext).infobox })) })));
  router.post("/ingest/infobox/normalize", withBody(v.object({ template: v.string({ min: 1 }), fields: v.record() }), ({ template, fields }) =>
    json({ template: templateName(template), fields: normalizeFields(Object.fromEntries(Object.entries(fields).map(([k, x]) => [k, String(x)]))) })));
  router.post("/ingest/categories/extract", withBody(WikitextBody, ({ title, wikitext }) => json({ title: title && normalTitle(title), categories: parseWikitext(wikitext).categories })));
  router.post("/ingest/links/extract", withBody(WikitextBody, ({ title, wikitext }) => json({ title: title && normalTitle(title), links: parseWikitext(wikitext).links })));
  // Parts given as lists: memberships, category parents, link edges.
  const Memberships = v.array(v.object({ title: v.optional(Title), article: v.optional(Title), categories: Names }), { min: 1, max: 10_000 });
  const putMemberships = (list: Array<{ title?: string; article?: string; categories: string[] }>) => {
    let n = 0;
    transaction(() => list.forEach((m) => {
      const t = normalTitle(m.title ?? m.article ?? "");
      if (t) for (const c of m.categories) n += sql.exec("INSERT OR IGNORE INTO wp_categories (title, category) VALUES (?, ?)", t, categoryName(c)).rowsWritten > 0 ? 1 : 0;
    }));
    return json({ memberships: n }, 201);
  };
  router.post("/ingest/categories/batch", withBody(v.object({ articles: Memberships }), ({ articles }) => putMemberships(articles)));
  router.post("/index/categories/memberships", withBody(v.object({ memberships: Memberships }), ({ memberships }) => putMemberships(memberships)));
  const Relationships = v.array(v.object({ child: v.string({ min: 1 }), parents: v.optional(Names), parent: v.optional(v.string({ min: 1 })) }), { min: 1, max: 10_000 });
  const putParents = (list: Array<{ child: string; parents?: string[]; parent?: string }>) => {
    let n = 0;
    transaction(() => list.forEach((r) => {
      for (const p of [...(r.parents ?? []), ...(r.parent ? [r.parent] : [])]) n += sql.exec("INSERT OR IGNORE INTO wp_parents (child, parent) VALUES (?, ?)", categoryName(r.child), categoryName(p)).rowsWritten > 0 ? 1 : 0;
    }));
    return json({ relationships: n }, 201);
  };
  router.post("/ingest/categories/hierarchy", withBody(v.object({ relationships: Relationships }), ({ relationships }) => putParents(relationships)));
  router.post("/index/categories/build", withBody(v.object({ relationships: Relationships }), ({ relationships }) => putParents(relationships)));
  const Edges = v.array(v.object({ from: Title, to: Title }), { min: 1, max: 50_000 });
  const putEdges = (edges: Array<{ from: string; to: string }>) => {
    let n = 0;
    transaction(() => edges.forEach((e) => (n += sql.exec("INSERT OR IGNORE INTO wp_links (src, dst) VALUES (?, ?)", normalTitle(e.from), normalTitle(e.to)).rowsWritten > 0 ? 1 : 0)));
    return json({ edges: n }, 201);
  };
  router.post("/ingest/links/graph", withBody(v.object({ edges: Edges }), ({ edges }) => putEdges(edges)));
  router.post("/index/links/build", withBody(v.object({ edges: Edges }), ({ edges }) => putEdges(edges)));
  router.post("/ingest/links/batch", withBody(v.object({ articles: v.array(v.object({ title: Title, links: Names }), { min: 1, max: MAX_BATCH }) }), ({ articles }) =>
    putEdges(articles.flatMap((a) => a.links.map((to) => ({ from: a.title, to }))))));

  // ---- articles ------------------------------------------------------------------------------------
  type Row = { title: string; id: number | null; text: string; summary: string; sections: string; rowid: number };
  const article = (request: IRequest): Row => {
    const title = normalTitle(param(request, "title"));
    const row = first<Row>(sql, "SELECT rowid, title, id, text, summary, sections FROM wp_articles WHERE title = ?", title);
    if (!row) return refuse(404, `no article ${title.slice(0, 100)}`);
    sql.exec("UPDATE wp_articles SET reads = reads + 1 WHERE rowid = ?", row.rowid);
    return row;
  };
  const categoriesOf = (title: string) => all<{ category: string }>(sql, "SELECT category FROM wp_categories WHERE title = ? ORDER BY category", title).map((r) => r.category);
  const linksOut = (title: string, limit: number, popularity: boolean) =>
    (popularity
      ? all<{ dst: string; n: number }>(sql, "SELECT l.dst, (SELECT COUNT(*) FROM wp_links i WHERE i.dst = l.dst) AS n FROM wp_links l WHERE l.src = ? ORDER BY n DESC, l.dst LIMIT ?", title, limit)
      : all<{ dst: string }>(sql, "SELECT dst FROM wp_links WHERE src = ? ORDER BY dst LIMIT ?", title, limit)).map((r) => r.dst);
  /** `?limit=`: 1 to 1,000. */
  const Limited = { limit: v.optional(q.int({ min: 1, max: 1_000 })) };
  const Parts = q.list(q.oneOf("content", "infobox", "categories", "links"), { max: 4 });
  router.get("/article/:title", withQuery({ include: v.withDefault(Parts, ["content"]) }, (query, request) => {
    const row = article(request);
    const include = new Set(query.include);
    const box = include.has("infobox") ? first<{ template: string; fields: string }>(sql, "SELECT template, fields FROM wp_infobox WHERE title = ?", row.title) : undefined;
    return json({
      title: row.title,
      id: row.id,
      summary: row.summary,
      ...(include.has("content") ? { content: row.text } : {}),
      ...(include.has("infobox") ? { infobox: box ? { template: box.template, fields: JSON.parse(box.fields) as unknown } : null } : {}),
      ...(include.has("categories") ? { categories: categoriesOf(row.title) } : {}),
      ...(include.has("links") ? { links: linksOut(row.title, 1_000, false) } : {}),
    });
  }));
  router.get("/article/:title/summary", (request) => {
    const row = article(request);
    return json({ title: row.title, summary: row.summary });
  });
  router.get("/article/:title/sections", withQuery({ names: v.optional(q.list(q.string(), { max: 100 })) }, (query, request) => {
    const row = article(request);
    const names = query.names?.map((n) => n.toLowerCase());
    const sections = (JSON.parse(row.sections) as Array<{ title: string; depth: number; text: string }>).filter((s) => !names || names.includes(s.title.toLowerCase()));
    return json({ title: row.title, sections });
  }));
  router.get("/article/:title/infobox", (request) => {
    const title = normalTitle(param(request, "title"));
    const box = first<{ template: string; fields: string }>(sql, "SELECT template, fields FROM wp_infobox WHERE title = ?", title);
    return box ? json({ title, template: box.template, fields: JSON.parse(box.fields) as unknown }) : fail(404, `no infobox for ${title.slice(0, 100)}`);
  });
  router.get("/article/:title/categories", (request) => {
    const title = normalTitle(param(request, "title"));
    return json({ title, categories: categoriesOf(title) });
  });
  router.get("/article/:title/links/outbound", withQuery({ ...Limited, sort: v.optional(q.oneOf("popularity", "title")) }, (query, request) => {
    const title = normalTitle(param(request, "title"));
    const links = linksOut(title, query.limit ?? 1_000, query.sort === "popularity");
    return json({ title, count: links.length, links });
  }));
  router.get("/article/:title/links/inbound", withQuery(Limited, (query, request) => {
    const title = normalTitle(param(request, "title"));
    const links = all<{ src: string }>(sql, "SELECT src FROM wp_links WHERE dst = ? ORDER BY src LIMIT ?", title, query.limit ?? 1_000).map((r) => r.src);
    return json({ title, count: links.length, links });
  }));
  router.get("/article/:title/links/inbound/count", (request) => {
    const title = normalTitle(param(request, "title"));
    return json({ title, count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wp_links WHERE dst = ?", title)?.n ?? 0 });
  });
  // Out-links with each target's summary, where this object holds the target.
  router.get("/article/:title/links/expand", withQuery(Limited, (query, request) => {
    const title = normalTitle(param(request, "title"));
    const rows = all<{ dst: string; summary: string | null }>(sql, "SELECT l.dst, a.summary FROM wp_links l LEFT JOIN wp_articles a ON a.title = l.dst WHERE l.src = ? ORDER BY l.dst LIMIT ?", title, query.limit ?? 100);
    return json({ title, links: rows.map((r) => ({ title: r.dst, summary: r.summary, held: r.summary !== null })) });
  }));
  router.post("/query/links/common", withBody(v.object({ articles: v.array(Title, { min: 2, max: 10 }), direction: v.optional(v.literal("outbound", "inbound")) }), ({ articles, direction }) => json({ articles: articles.map(normalTitle), direction: direction ?? "outbound", common: commonLinks(sql, articles.map(normalTitle), direction ?? "outbound") })));

  // ---- categories ----------------------------------------------------------------------------------
  const categoryOf = (request: IRequest) => categoryName(param(request, "category"));
  router.get("/category/:category/articles", withQuery(Limited, (query, request) => {
    const c = categoryOf(request);
    const titles = all<{ title: string }>(sql, "SELECT title FROM wp_categories WHERE category = ? ORDER BY title LIMIT ?", c, query.limit ?? 100).map((r) => r.title);
    return json({ category: c, count: titles.length, articles: titles });
  }));
  router.get("/category/:category/parents", (request) => {
    const c = categoryOf(request);
    return json({ category: c, parents: all<{ parent: string }>(sql, "SELECT parent FROM wp_parents WHERE child = ? ORDER BY parent", c).map((r) => r.parent) });
  });
  router.get("/category/:category/children", withQuery(Limited, (query, request) => {
    const c = categoryOf(request);
    return json({ category: c, children: all<{ child: string }>(sql, "SELECT child FROM wp_parents WHERE parent = ? ORDER BY child LIMIT ?", c, query.limit ?? 1_000).map((r) => r.child) });
  }));

  // ---- search --------------------------------------------------------------------------------------
  router.post("/search", withBody(v.object({ query: v.string({ min: 1, pattern: /^.{1,500}$/s }), limit: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), ({ query, limit }) => json(search(sql, query, limit ?? 20))));
  router.post("/search/bm25", withBody(v.object({ query: v.string({ min: 1, pattern: /^.{1,500}$/s }), k: v.optional(v.number({ integer: true, min: 1, max: 100 })), k1: v.optional(v.number({ min: 0, max: 3 })), b: v.optional(v.number({ min: 0, max: 1 })) }), ({ query, k, k1, b }) => json(bm25(sql, query, k ?? 20, k1 ?? 1.2, b ?? 0.75))));

  // ---- infoboxes -----------------------------------------------------------------------------------
  const InfoboxQuery = v.object({ template: v.string({ min: 1 }), where: v.optional(v.record()), limit: v.optional(v.number({ integer: true, min: 1, max: 1_000 })) });
  const infoboxQuery = ({ template, where, limit }: { template: string; where?: Record<string, unknown>; limit?: number }) => {
    const conds = Object.entries(where ?? {}).slice(0, 10);
    const joins = conds.map((_, i) => `JOIN wp_infobox_fields f${i} ON f${i}.title = b.title AND f${i}.field = ? AND f${i}.value = ?`).join(" ");
    const rows = all<{ title: string; fields: string }>(sql, `SELECT b.title, b.fields FROM wp_infobox b ${joins} WHERE b.template = ? ORDER BY b.title LIMIT ?`, ...conds.flatMap(([k, x]) => [k.toLowerCase(), String(x)]), templateName(template), limit ?? 100);
    return json({ template: templateName(template), count: rows.length, results: rows.map((r) => ({ title: r.title, fields: JSON.parse(r.fields) as unknown })) });
  };
  router.post("/query/infobox", withBody(InfoboxQuery, infoboxQuery));
  router.post("/index/infobox/query", withBody(InfoboxQuery, infoboxQuery));
  router.post("/query/infobox/aggregate", withBody(v.object({ template: v.string({ min: 1 }), groupBy: v.string({ pattern: /^[\w -]{1,64}$/ }), aggregate: v.optional(v.literal("count")), limit: v.optional(v.number({ integer: true, min: 1, max: 1_000 })) }), ({ template, groupBy, limit }) => {
    const groups = all<{ value: string; n: number }>(sql, "SELECT value, COUNT(*) AS n FROM wp_infobox_fields WHERE template = ? AND field = ? GROUP BY value ORDER BY n DESC, value LIMIT ?", templateName(template), groupBy.toLowerCase(), limit ?? 50);
    return json({ template: templateName(template), groupBy, aggregate: "count", groups: groups.map((g) => ({ value: g.value, count: g.n })) });
  }));
  const InfoboxEntry = v.object({ articleTitle: Title, articleId: v.optional(v.number({ integer: true, min: 0 })), infobox: v.record() });
  const putInfoboxes = (list: Array<{ articleTitle: string; infobox: Record<string, unknown> }>) => {
    transaction(() => list.forEach((e) => putInfobox(normalTitle(e.articleTitle), String(e.infobox.template ?? ""), Object.fromEntries(Object.entries(e.infobox).filter(([k]) => k !== "template").map(([k, x]) => [k, String(x)])))));
    return json({ indexed: list.length }, 201);
  };
  router.post("/index/infobox", withBody(InfoboxEntry, (e) => putInfoboxes([e])));
  router.post("/index/infobox/batch", withBody(v.object({ infoboxes: v.array(InfoboxEntry, { min: 1, max: 10_000 }) }), ({ infoboxes }) => putInfoboxes(infoboxes)));

  // ---- the inverted index --------------------------------------------------------------------------
  router.post("/index/inverted/article", withBody(ArticleBody, (a) => putArticles([a])));
  router.post("/index/inverted/batch", withBody(v.object({ articles: v.array(ArticleBody, { min: 1, max: MAX_BATCH }) }), ({ articles }) => putArticles(articles)));
  router.post("/index/inverted/clear", () => {
    sql.exec("DELETE FROM wp_fts");
    return json({ cleared: true });
  });

  // ---- vectors: hashed embeddings, exact search (../wiki/vector-routes.ts) ----------------------------
  vectorRoutes(router, ctx, "wp_vectors");

  // ---- the whole index, to the bucket and back -----------------------------------------------------
  const PARTS = ["articles", "inverted", "infobox", "category", "links", "vectors"] as const;
  router.post("/index/serialize", withBody(v.object({ destination: Location, include: v.optional(v.array(v.literal(...PARTS), { min: 1, max: PARTS.length })) }), async ({ destination, include }) => {
    const route = "POST /index/serialize";
    const want = new Set<string>(include ?? PARTS);
    // inverted and articles are one table: an article's text is what the full-text index reads.
    const dump = {
      format: "perfdo-wikipedia-v1",
      articles: want.has("articles") || want.has("inverted") ? all(sql, "SELECT title, id, text, summary, sections FROM wp_articles") : [],
      infobox: want.has("infobox") ? all(sql, "SELECT title, template, fields FROM wp_infobox") : [],
      categories: want.has("category") ? all(sql, "SELECT title, category FROM wp_categories") : [],
      parents: want.has("category") ? all(sql, "SELECT child, parent FROM wp_parents") : [],
      links: want.has("links") ? all(sql, "SELECT src, dst FROM wp_links") : [],
      vectors: want.has("vectors") ? all<{ id: string; vec: ArrayBuffer }>(sql, "SELECT id, vec FROM wp_vectors").map((r) => ({ id: r.id, vec: toBase64(new Uint8Array(r.vec)) })) : [],
    };
    const bytes = new TextEncoder().encode(JSON.stringify(dump));
    await writeLocation(ctx.store, destination, bytes, route);
    return json({ destination, bytes: bytes.length, articles: dump.articles.length, infoboxes: dump.infobox.length, memberships: dump.categories.length, links: dump.links.length, vectors: dump.vectors.length }, 201);
  }));
  router.post("/index/deserialize", withBody(v.object({ source: Location }), async ({ source }) => {
    const route = "POST /index/deserialize";
    const read = await readJsonLocation(ctx.store, source, route);
    const d = (read ?? {}) as { format?: string; articles: Array<Record<string, string | number | null>>; infobox: Array<Record<string, string>>; categories: Array<Record<string, string>>; parents: Array<Record<string, string>>; links: Array<Record<string, string>>; vectors: Array<{ id: string; vec: string }> };
    if (d.format !== "perfdo-wikipedia-v1") return fail(400, `${route}: ${source} is not a serialized Wikipedia index`);
    transaction(() => {
      for (const a of d.articles ?? []) {
        sql.exec("INSERT OR REPLACE INTO wp_articles (title, id, text, summary, sections) VALUES (?, ?, ?, ?, ?)", a.title as string, a.id ?? null, a.text as string, a.summary as string, a.sections as string);
        const rowid = (first<{ rowid: number }>(sql, "SELECT rowid FROM wp_articles WHERE title = ?", a.title as string) as { rowid: number }).rowid;
        sql.exec("DELETE FROM wp_fts WHERE rowid = ?", rowid);
        sql.exec("INSERT INTO wp_fts (rowid, title, text) VALUES (?, ?, ?)", rowid, a.title as string, a.text as string);
      }
      for (const b of d.infobox ?? []) putInfobox(b.title as string, b.template as string, JSON.parse(b.fields as string) as Record<string, string>);
      for (const c of d.categories ?? []) sql.exec("INSERT OR IGNORE INTO wp_categories (title, category) VALUES (?, ?)", c.title as string, c.category as string);
      for (const p of d.parents ?? []) sql.exec("INSERT OR IGNORE INTO wp_parents (child, parent) VALUES (?, ?)", p.child as string, p.parent as string);
      for (const l of d.links ?? []) sql.exec("INSERT OR IGNORE INTO wp_links (src, dst) VALUES (?, ?)", l.src as string, l.dst as string);
      for (const x of d.vectors ?? []) sql.exec("INSERT OR REPLACE INTO wp_vectors (id, vec) VALUES (?, ?)", x.id, fromBase64(x.vec) ?? new Uint8Array(0));
    });
    return json({ source, articles: (d.articles ?? []).length, infoboxes: (d.infobox ?? []).length, memberships: (d.categories ?? []).length, links: (d.links ?? []).length, vectors: (d.vectors ?? []).length }, 201);
  }));
  // An isolate's heap cannot be read from inside it: the database's size and row counts instead.
  router.get("/debug/memory", () => json({
    memoryUsedMB: null,
    databaseBytes: sql.databaseSize,
    rows: Object.fromEntries(["wp_articles", "wp_categories", "wp_parents", "wp_links", "wp_infobox", "wp_vectors"].map((t) => [t.slice(3), first<{ n: number }>(sql, `SELECT COUNT(*) AS n FROM ${t}`)?.n ?? 0])),
  }));
  router.post("/index/clear", () => {
    transaction(() => ["wp_fts", "wp_articles", "wp_infobox", "wp_infobox_fields", "wp_categories", "wp_parents", "wp_links", "wp_vectors"].forEach((t) => sql.exec(`DELETE FROM ${t}`)));
    return json({ cleared: true });
  });
}

/** Articles both (or all) link to (outbound) or that link to all of them (inbound). */
export function commonLinks(sql: SqlStorage, titles: string[], direction: "outbound" | "inbound"): string[] {
  const [col, other] = direction === "outbound" ? ["dst", "src"] : ["src", "dst"];
  return all<{ t: string }>(sql, `SELECT ${col} AS t FROM wp_links WHERE ${other} IN (${titles.map(() => "?").join(", ")}) GROUP BY ${col} HAVING COUNT(DISTINCT ${other}) = ? ORDER BY ${col} LIMIT 1000`, ...titles, titles.length).map((r) => r.t);
}

export function search(sql: SqlStorage, query: string, limit: number) {
  const m = ftsQuery(query);
  if (!m) return { query, count: 0, results: [] };
  const rows = all<{ title: string; score: number; snippet: string }>(sql, "SELECT title, bm25(wp_fts) AS score, snippet(wp_fts, 1, '', '', '…', 16) AS snippet FROM wp_fts WHERE wp_fts MATCH ? ORDER BY score LIMIT ?", m, limit);
  return { query, count: rows.length, results: rows.map((r) => ({ title: r.title, score: -r.score, snippet: r.snippet })) };
}

/**
 * BM25 over the article texts: FTS5's own ranking when k1 = 1.2 and b = 0.75 (its fixed values);
 * computed here from term and document frequencies for any other k1 and b.
 */
export function bm25(sql: SqlStorage, query: string, k: number, k1: number, b: number) {
  const m = ftsQuery(query);
  if (!m) return { query, k1, b, count: 0, results: [] };
  if (k1 === 1.2 && b === 0.75) {
    const rows = all<{ title: string; score: number }>(sql, "SELECT title, bm25(wp_fts) AS score FROM wp_fts WHERE wp_fts MATCH ? ORDER BY score LIMIT ?", m, k);
    return { query, k1, b, ranking: "fts5", count: rows.length, results: rows.map((r) => ({ title: r.title, score: -r.score })) };
  }
  const s = bm25Stats(sql, query, 1_000);
  return { query, k1, b, ranking: "computed", ...rankBm25([s], k, k1, b) };
}

export interface Bm25Stats { docs: number; totalLength: number; df: Record<string, number>; candidates: Array<{ title: string; length: number; tf: Record<string, number> }> }

/** What a BM25 ranking across partitions needs from one: its counts, and its best candidates' term frequencies. */
export function bm25Stats(sql: SqlStorage, query: string, perPartition: number): Bm25Stats {
  const m = ftsQuery(query);
  const docs = first<{ n: number; len: number }>(sql, "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(text)), 0) AS len FROM wp_articles");
  const df = (w: string) => first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wp_fts WHERE wp_fts MATCH ?", `"${w}"`)?.n ?? 0;
  const rows = m ? all<{ title: string; text: string }>(sql, "SELECT title, text FROM wp_fts WHERE wp_fts MATCH ? ORDER BY bm25(wp_fts) LIMIT ?", m, perPartition) : [];
  return candidateStats(query, docs?.n ?? 0, docs?.len ?? 0, df, rows);
}

/**
 * A partition's BM25 statistics from its candidates' texts: term frequencies and lengths in terms,
 * document frequencies of the query's terms, and its total length in terms, estimated from its
 * characters at the candidates' terms-per-character.
 */
export function candidateStats(query: string, docs: number, totalChars: number, df: (term: string) => number, rows: Array<{ title: string; text: string }>): Bm25Stats {
  const words = [...new Set(terms(query))].slice(0, 32);
  const candidates = rows.map((r) => {
    const ts = terms(r.text);
    const tf: Record<string, number> = {};
    for (const t of ts) if (words.includes(t)) tf[t] = (tf[t] ?? 0) + 1;
    return { title: r.title, length: ts.length, tf };
  });
  const ratio = rows.length ? candidates.reduce((s, c) => s + c.length, 0) / Math.max(1, rows.reduce((s, r) => s + r.text.length, 0)) : 0.2;
  return { docs, totalLength: totalChars * ratio, df: Object.fromEntries(words.map((w) => [w, df(w)])), candidates };
}

/** BM25 with global statistics: every partition's counts summed, then each candidate scored. */
export function rankBm25(parts: Bm25Stats[], k: number, k1: number, b: number) {
  const N = parts.reduce((s, p) => s + p.docs, 0);
  const avgdl = N ? parts.reduce((s, p) => s + p.totalLength, 0) / N : 1;
  const df: Record<string, number> = {};
  for (const p of parts) for (const [t, n] of Object.entries(p.df)) df[t] = (df[t] ?? 0) + n;
  const idf = (t: string) => Math.log(1 + (N - (df[t] ?? 0) + 0.5) / ((df[t] ?? 0) + 0.5));
  const scored = parts.flatMap((p) => p.candidates).map((c) => ({
    title: c.title,
    score: Object.entries(c.tf).reduce((s, [t, f]) => s + (idf(t) * f * (k1 + 1)) / (f + k1 * (1 - b + (b * c.length) / avgdl)), 0),
  }));
  scored.sort((x, y) => y.score - x.score || (x.title < y.title ? -1 : 1));
  return { count: Math.min(k, scored.length), documents: N, results: scored.slice(0, k) };
}

export const wikipedia: Feature = {
  name: "wikipedia",
  serves: ["wikipedia"],
  schema: { migrations: [migrateWikipedia] },
  routes: wikipediaRoutes,
  rpc: {
    // An auto-partitioned batch, in the partition that owns it.
    ingest: (ctx, articles: never) => {
      const issues: string[] = [];
      const list = v.array(ArticleBody, { min: 1, max: MAX_BATCH }).check(articles, "articles", issues);
      if (issues.length > 0 || !list) throw new Error(`wikipedia.ingest: ${issues.join("; ")}`);
      const { putArticle } = articleStore(ctx.sql);
      ctx.transaction(() => list.forEach(putArticle));
      return list.length;
    },
  },
};

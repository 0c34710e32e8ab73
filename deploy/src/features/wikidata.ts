import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { filterQuery, limitQuery, q, s as v, withBody, withQuery } from "../input";
import { fail, json, refuse } from "../http";
import { all, first, param, parseJson } from "../sql";

// Wikidata (wiki.): entities and properties in Wikibase's JSON shape, their statements as a
// subject–predicate–object graph (with rank, qualifiers and whether a reference backs them), labels
// and aliases by language, sitelinks and external identifiers. Ingest reads entities as Wikidata's
// dumps and API give them (`claims` of `mainsnak`s); queries read one entity, statements by any of
// subject, predicate, object, rank, reference and a qualifier bound, edges out of and into an entity,
// per-property statistics, and labels by prefix or substring. Bounded: a batch holds at most MAX_ITEMS.

const MAX_ITEMS = 5_000;
const MAX_ENTITY_CHARS = 1_000_000;
const ENTITY_ID = /^[QPL]\d{1,12}$/;
const Id = v.string({ pattern: ENTITY_ID, expected: "a Wikidata id like Q42 or P31" });

function migrateWikidata(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS wd_entities (id TEXT PRIMARY KEY, type TEXT NOT NULL, doc TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wd_labels (id TEXT NOT NULL, language TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (id, language, kind, value))");
  sql.exec("CREATE INDEX IF NOT EXISTS wd_labels_value ON wd_labels (language, value COLLATE NOCASE)");
  sql.exec(`CREATE TABLE IF NOT EXISTS wd_statements (sid TEXT PRIMARY KEY, subject TEXT NOT NULL, predicate TEXT NOT NULL, object TEXT NOT NULL,
    rank TEXT NOT NULL, qualifiers TEXT NOT NULL, refs INTEGER NOT NULL)`);
  sql.exec("CREATE INDEX IF NOT EXISTS wd_statements_sp ON wd_statements (subject, predicate)");
  sql.exec("CREATE INDEX IF NOT EXISTS wd_statements_po ON wd_statements (predicate, object)");
  sql.exec("CREATE INDEX IF NOT EXISTS wd_statements_o ON wd_statements (object)");
  sql.exec("CREATE TABLE IF NOT EXISTS wd_sitelinks (site TEXT NOT NULL, title TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (site, title))");
  sql.exec("CREATE INDEX IF NOT EXISTS wd_sitelinks_id ON wd_sitelinks (id)");
  sql.exec("CREATE TABLE IF NOT EXISTS wd_identifiers (property TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (property, value))");
  sql.exec("CREATE TABLE IF NOT EXISTS wd_buffer (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL)");
}

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => (typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Json) : {});

/** A snak's value as one string: an entity id, a time, an amount, a text, or the JSON of anything else. */
export function snakValue(snak: unknown): string | null {
  const s = obj(snak);
  const dv = "datavalue" in s ? obj(s.datavalue).value : "value" in s ? s.value : undefined;
  if (dv === undefined || dv === null) return null;
  if (typeof dv === "string" || typeof dv === "number") return String(dv);
  const d = obj(dv);
  for (const k of ["id", "time", "amount", "text"]) if (typeof d[k] === "string") return d[k] as string;
  return JSON.stringify(dv);
}

/** Qualifiers as `{P580: ["+2009-01-20T00:00:00Z"]}`, from Wikibase's snak map, a `[{property, value}]` list, or `{P580: value}`. */
export function qualifiersOf(q: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (p: string, value: string | null) => {
    if (value !== null && /^P\d+$/.test(p)) (out[p] ??= []).push(value);
  };
  if (Array.isArray(q)) for (const x of q) add(String(obj(x).property ?? ""), snakValue(x));
  else for (const [p, val] of Object.entries(obj(q))) for (const snak of Array.isArray(val) ? val : [val]) add(p, typeof snak === "string" ? snak : snakValue(snak));
  return out;
}

interface Statement { sid?: string; subject: string; predicate: string; object: string; rank?: string; qualifiers?: Record<string, string[]>; refs?: number }

/** The statements of an entity's `claims`. */
function claimsOf(id: string, claims: unknown): Statement[] {
  const out: Statement[] = [];
  for (const [p, list] of Object.entries(obj(claims))) {
    for (const c of Array.isArray(list) ? list : []) {
      const value = snakValue(obj(c).mainsnak);
      if (value === null) continue;
      out.push({ sid: typeof obj(c).id === "string" ? (obj(c).id as string) : undefined, subject: id, predicate: p, object: value, rank: String(obj(c).rank ?? "normal"), qualifiers: qualifiersOf(obj(c).qualifiers), refs: Array.isArray(obj(c).references) ? (obj(c).references as unknown[]).length : 0 });
    }
  }
  return out;
}

function wikidataRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  const putStatement = (s: Statement): void => {
    // One statement per (subject, predicate, object) unless Wikibase gave it an id of its own.
    const sid = s.sid ?? `${s.subject}|${s.predicate}|${s.object}`;
    sql.exec("INSERT INTO wd_statements (sid, subject, predicate, object, rank, qualifiers, refs) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sid) DO UPDATE SET object = excluded.object, rank = excluded.rank, qualifiers = excluded.qualifiers, refs = excluded.refs",
      sid, s.subject, s.predicate, s.object, s.rank ?? "normal", JSON.stringify(s.qualifiers ?? {}), s.refs ?? 0);
  };
  const putLabels = (id: string, e: Json, kinds: Array<"label" | "description" | "alias">): number => {
    let n = 0;
    const one = (kind: string, language: string, value: unknown) => {
      if (typeof value !== "string" || value.length === 0 || value.length > 1000) return;
      sql.exec("INSERT OR IGNORE INTO wd_labels (id, language, kind, value) VALUES (?, ?, ?, ?)", id, language.slice(0, 32), kind, value);
      n++;
    };
    if (kinds.includes("label")) for (const [lang, l] of Object.entries(obj(e.labels))) one("label", lang, obj(l).value);
    if (kinds.includes("description")) for (const [lang, d] of Object.entries(obj(e.descriptions))) one("description", lang, obj(d).value);
    if (kinds.includes("alias")) for (const [lang, list] of Object.entries(obj(e.aliases))) for (const a of Array.isArray(list) ? list : []) one("alias", lang, obj(a).value);
    return n;
  };
  /** An entity (item or property) in Wikibase's JSON: kept whole, and read into labels, statements and sitelinks. */
  const putEntity = (e: Json, id = String(e.id ?? "")): { id: string; statements: number } => {
    if (!ENTITY_ID.test(id)) return refuse(400, `entity id ${id.slice(0, 32)} is not a Wikidata id (Q42, P31)`);
    const doc = JSON.stringify({ ...e, id });
    if (doc.length > MAX_ENTITY_CHARS) return refuse(400, `entity ${id} is ${doc.length} characters; at most ${MAX_ENTITY_CHARS}`);
    const statements = claimsOf(id, e.claims);
    sql.exec("INSERT INTO wd_entities (id, type, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET type = excluded.type, doc = excluded.doc", id, String(e.type ?? (id.startsWith("P") ? "property" : "item")), doc);
    sql.exec("DELETE FROM wd_labels WHERE id = ?", id);
    putLabels(id, e, ["label", "description", "alias"]);
    statements.forEach(putStatement);
    for (const [site, link] of Object.entries(obj(e.sitelinks))) if (typeof obj(link).title === "string") sql.exec("INSERT OR REPLACE INTO wd_sitelinks (site, title, id) VALUES (?, ?, ?)", site, obj(link).title as string, id);
    return { id, statements: statements.length };
  };
  const putEntities = (list: Json[]): Response => {
    const results = transaction(() => list.map((e) => putEntity(e)));
    return json({ entities: results.length, statements: results.reduce((s, r) => s + r.statements, 0) }, 201);
  };
  const entity = (id: string): Json | null => {
    const row = first<{ doc: string }>(sql, "SELECT doc FROM wd_entities WHERE id = ?", id);
    if (!row) return null;
    const doc = obj(parseJson(row.doc));
    const links = all<{ site: string; title: string }>(sql, "SELECT site, title FROM wd_sitelinks WHERE id = ?", id);
    return links.length ? { ...doc, sitelinks: Object.fromEntries(links.map((l) => [l.site, { site: l.site, title: l.title }])) } : doc;
  };
  const Entities = v.array(v.record(), { max: MAX_ITEMS });
  const SimpleStatement = v.object({ subject: Id, predicate: Id, object: v.union(v.string(), v.number(), "an entity id or a value"), rank: v.optional(v.literal("preferred", "normal", "deprecated")), qualifiers: v.optional(v.value()), references: v.optional(v.array(v.value(), { max: 100 })) });
  const simple = (s: { subject: string; predicate: string; object: string | number; rank?: string; qualifiers?: unknown; references?: unknown[] }): Statement => ({ subject: s.subject, predicate: s.predicate, object: String(s.object), rank: s.rank, qualifiers: qualifiersOf(s.qualifiers), refs: s.references?.length ?? 0 });
  const WikibaseStatement = v.object({ entityId: Id, propertyId: v.optional(Id), mainsnak: v.record(), rank: v.optional(v.string()), qualifiers: v.optional(v.value()), references: v.optional(v.array(v.value(), { max: 100 })), id: v.optional(v.string()) });
  const wikibase = (s: { entityId: string; propertyId?: string; mainsnak: Json; rank?: string; qualifiers?: unknown; references?: unknown[]; id?: string }): Statement | null => {
    const object = snakValue(s.mainsnak);
    const predicate = s.propertyId ?? String(s.mainsnak.property ?? "");
    return object === null || !/^P\d+$/.test(predicate) ? null : { sid: s.id, subject: s.entityId, predicate, object, rank: s.rank ?? "normal", qualifiers: qualifiersOf(s.qualifiers), refs: s.references?.length ?? 0 };
  };
  const putWikibase = (list: Array<Parameters<typeof wikibase>[0]>): Response => {
    const parsed = list.map(wikibase);
    transaction(() => parsed.forEach((s) => s && putStatement(s)));
    return json({ statements: parsed.filter((s) => s !== null).length, skipped: parsed.filter((s) => s === null).length }, 201);
  };

  // ---- ingest ---------------------------------------------------------------------------------------
  router.post("/ingest/entity", withBody(v.record(), (e) => json(transaction(() => putEntity(e)), 201)));
  router.post("/ingest/batch", withBody(v.object({ entities: Entities }), ({ entities }) => putEntities(entities)));
  router.post("/ingest/property", withBody(v.record(), (p) => json(transaction(() => putEntity({ type: "property", ...p })), 201)));
  router.post("/ingest/properties/batch", withBody(v.object({ properties: Entities }), ({ properties }) => putEntities(properties.map((p) => ({ type: "property", ...p })))));
  router.post("/ingest/statement", withBody(WikibaseStatement, (s) => putWikibase([s])));
  router.post("/ingest/statements", withBody(v.object({ statements: v.array(WikibaseStatement, { max: MAX_ITEMS }) }), ({ statements }) => putWikibase(statements)));
  router.post("/ingest/statements/batch", withBody(v.object({ statements: v.array(WikibaseStatement, { max: MAX_ITEMS }) }), ({ statements }) => putWikibase(statements)));
  router.post("/ingest/labels", withBody(v.record(), (e) => (ENTITY_ID.test(String(e.id ?? "")) ? json({ id: e.id, labels: transaction(() => putLabels(String(e.id), e, ["label", "description"])) }, 201) : fail(400, "POST /ingest/labels: id must be a Wikidata id"))));
  router.post("/ingest/aliases", withBody(v.record(), (e) => (ENTITY_ID.test(String(e.id ?? "")) ? json({ id: e.id, aliases: transaction(() => putLabels(String(e.id), e, ["alias"])) }, 201) : fail(400, "POST /ingest/aliases: id must be a Wikidata id"))));
  const LabelRows = v.array(v.object({ qid: v.optional(Id), entityId: v.optional(Id), language: v.string({ min: 1 }), value: v.string({ min: 1 }), type: v.optional(v.literal("label", "alias", "description")) }), { max: MAX_ITEMS });
  const indexLabels = ({ labels }: { labels: Array<{ qid?: string; entityId?: string; language: string; value: string; type?: string }> }): Response => {
    const rows = labels.filter((l) => (l.qid ?? l.entityId) !== undefined);
    transaction(() => rows.forEach((l) => sql.exec("INSERT OR IGNORE INTO wd_labels (id, language, kind, value) VALUES (?, ?, ?, ?)", l.qid ?? l.entityId ?? "", l.language, l.type ?? "label", l.value)));
    return json({ indexed: rows.length, skipped: labels.length - rows.length }, 201);
  };
  router.post("/labels/index", withBody(v.object({ labels: LabelRows }), indexLabels));
  router.post("/index/labels/batch", withBody(v.object({ labels: LabelRows }), indexLabels));
  // A dump read in parts: entities are buffered, then flushed (ingested) or cleared.
  router.post("/partition/entities/write", withBody(v.object({ entities: Entities }), ({ entities }) => {
    transaction(() => entities.forEach((e) => sql.exec("INSERT INTO wd_buffer (doc) VALUES (?)", JSON.stringify(e))));
    return json({ buffered: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wd_buffer")?.n ?? 0 }, 201);
  }));
  router.post("/partition/entities/flush", () => {
    const docs = all<{ doc: string }>(sql, "SELECT doc FROM wd_buffer ORDER BY seq LIMIT ?", MAX_ITEMS).map((r) => obj(parseJson(r.doc)));
    const res = putEntities(docs);
    if (res.status < 300) sql.exec("DELETE FROM wd_buffer WHERE seq IN (SELECT seq FROM wd_buffer ORDER BY seq LIMIT ?)", docs.length);
    return res;
  });
  router.post("/partition/entities/clear", () => json({ cleared: sql.exec("DELETE FROM wd_buffer").rowsWritten }));

  // ---- entities, properties, statements ---------------------------------------------------------------
  router.post("/entities/batch", withBody(v.object({ ids: v.array(Id, { max: 500 }) }), ({ ids }) => json({ entities: Object.fromEntries(ids.map((id) => [id, entity(id)])) })));
  router.put("/entities/:id/sitelinks", withBody(v.record(), (links, request) => {
    const id = param(request, "id");
    if (!ENTITY_ID.test(id)) return fail(400, `${id.slice(0, 32)} is not a Wikidata id`);
    transaction(() => Object.entries(links).forEach(([site, l]) => typeof obj(l).title === "string" && sql.exec("INSERT OR REPLACE INTO wd_sitelinks (site, title, id) VALUES (?, ?, ?)", site, obj(l).title as string, id)));
    return json({ id, sitelinks: Object.keys(links).length });
  }));
  router.get("/entities/:id/sitelinks", (request) => json(Object.fromEntries(all<{ site: string; title: string }>(sql, "SELECT site, title FROM wd_sitelinks WHERE id = ? ORDER BY site", param(request, "id")).map((l) => [l.site, l]))));
  router.get("/entities/:id/label/:language", (request) => {
    const row = first<{ value: string }>(sql, "SELECT value FROM wd_labels WHERE id = ? AND language = ? AND kind = 'label'", param(request, "id"), param(request, "language"));
    return row ? json({ id: param(request, "id"), language: param(request, "language"), value: row.value }) : fail(404, `no ${param(request, "language")} label for ${param(request, "id")}`);
  });
  const putOne = (request: { params: Record<string, string | undefined> }, e: Json, type?: string): Response => {
    return json(transaction(() => putEntity(type ? { type, ...e } : e, param(request, "id"))));
  };
  router.put("/entities/:id", withBody(v.record(), (e, request) => putOne(request, e)));
  router.get("/entities/:id", (request) => entity(param(request, "id")) ? json(entity(param(request, "id"))) : fail(404, `no entity ${param(request, "id")}`));
  router.put("/properties/:id", withBody(v.record(), (p, request) => putOne(request, p, "property")));
  router.get("/properties/:id", (request) => entity(param(request, "id")) ? json(entity(param(request, "id"))) : fail(404, `no property ${param(request, "id")}`));
  const statementBatch = withBody(v.object({ statements: v.array(SimpleStatement, { max: MAX_ITEMS }) }), ({ statements }) => {
    transaction(() => statements.forEach((s) => putStatement(simple(s))));
    return json({ statements: statements.length }, 201);
  });
  router.post("/statements/batch", statementBatch);
  router.post("/graph/statements/batch", statementBatch);
  router.post("/statements", withBody(SimpleStatement, (s) => {
    putStatement(simple(s));
    return json({ subject: s.subject, predicate: s.predicate, object: String(s.object) }, 201);
  }));
  interface StatementRow { subject: string; predicate: string; object: string; rank: string; qualifiers: string; refs: number }
  const statementView = (r: StatementRow) => ({ subject: r.subject, predicate: r.predicate, object: r.object, rank: r.rank, qualifiers: parseJson(r.qualifiers), references: r.refs });
  // ?subject ?predicate ?object ?rank ?hasReference=true ?qualifier.P580[gte|lte|eq]=<value> ?limit
  // Any other parameter is a qualifier bound, `qualifier.P580[gte]=…`: at most 16, each value at most 256 characters.
  router.get("/statements", withQuery({ ...filterQuery("subject", "predicate", "object", "rank"), hasReference: v.optional(q.bool()), ...limitQuery() }, (query, request) => {
    const where: string[] = [];
    const params: string[] = [];
    for (const col of ["subject", "predicate", "object", "rank"] as const) if (query[col] !== undefined) (where.push(`${col} = ?`), params.push(query[col]));
    if (query.hasReference === true) where.push("refs > 0");
    if (where.length === 0) return fail(400, "GET /statements needs one of ?subject, ?predicate, ?object");
    const bounds: Array<{ p: string; op: string; value: string }> = [];
    const qualifiers = [...new URL(request.url).searchParams].filter(([k]) => k.startsWith("qualifier."));
    if (qualifiers.length > 16 || qualifiers.some(([, val]) => val.length > 256)) return fail(400, "GET /statements: at most 16 qualifier bounds, each at most 256 characters");
    for (const [k, val] of qualifiers) {
      const m = /^qualifier\.(P\d+)\[(gte|lte|gt|lt|eq)\]$/.exec(k);
      // `+` in a time reads back as a space from a query string
      if (m) bounds.push({ p: m[1] as string, op: m[2] as string, value: val.trim().replace(/^(\d)/, "+$1") });
    }
    const rows = all<StatementRow & Record<string, SqlStorageValue>>(sql, `SELECT * FROM wd_statements WHERE ${where.join(" AND ")} LIMIT 1000`, ...params).map(statementView);
    const kept = rows.filter((r) => bounds.every((b) => ((r.qualifiers as Record<string, string[]>)[b.p] ?? []).some((x) => (b.op === "gte" ? x >= b.value : b.op === "lte" ? x <= b.value : b.op === "gt" ? x > b.value : b.op === "lt" ? x < b.value : x === b.value))));
    return json(kept.slice(0, query.limit));
  }));
  const edges = (column: "subject" | "object") => withQuery({ ...filterQuery("predicate"), ...limitQuery() }, ({ predicate, limit }, request) =>
    json(all(sql, `SELECT subject, predicate, object FROM wd_statements WHERE ${column} = ? ${predicate ? "AND predicate = ?" : ""} ORDER BY predicate, ${column === "subject" ? "object" : "subject"} LIMIT ?`, param(request, "id"), ...(predicate ? [predicate] : []), limit)));
  router.get("/graph/edges/from/:id", edges("subject"));
  router.get("/graph/edges/to/:id", edges("object"));

  // ---- lookups by label, sitelink, identifier -----------------------------------------------------------
  router.get("/labels/search", withQuery({ q: q.string({ min: 1 }), ...filterQuery("language"), ...limitQuery(20) }, ({ q: raw, language: lang, limit }) => {
    const prefix = raw.endsWith("*");
    const text = (prefix ? raw.slice(0, -1) : raw).replace(/[\\%_]/g, (c) => `\\${c}`);
    return json(all(sql, `SELECT id, language, kind, value FROM wd_labels WHERE kind != 'description' AND value LIKE ? ESCAPE '\\' ${lang ? "AND language = ?" : ""} ORDER BY length(value), value LIMIT ?`, prefix ? `${text}%` : `%${text}%`, ...(lang ? [lang] : []), limit));
  }));
  router.post("/sitelinks/:site", withBody(v.object({ entries: v.array(v.object({ title: v.string({ min: 1 }), qid: Id }), { max: MAX_ITEMS }) }), ({ entries }, request) => {
    transaction(() => entries.forEach((e) => sql.exec("INSERT OR REPLACE INTO wd_sitelinks (site, title, id) VALUES (?, ?, ?)", param(request, "site"), e.title, e.qid)));
    return json({ site: param(request, "site"), entries: entries.length }, 201);
  }));
  router.get("/sitelinks/:site/:title", (request) => {
    const row = first<{ id: string }>(sql, "SELECT id FROM wd_sitelinks WHERE site = ? AND title = ?", param(request, "site"), param(request, "title"));
    return row ? json({ site: param(request, "site"), title: param(request, "title"), qid: row.id }) : fail(404, `no ${param(request, "site")} sitelink ${param(request, "title")}`);
  });
  router.post("/identifiers/:property", withBody(v.object({ entries: v.array(v.object({ value: v.string({ min: 1 }), qid: Id }), { max: MAX_ITEMS }) }), ({ entries }, request) => {
    transaction(() => entries.forEach((e) => sql.exec("INSERT OR REPLACE INTO wd_identifiers (property, value, id) VALUES (?, ?, ?)", param(request, "property"), e.value, e.qid)));
    return json({ property: param(request, "property"), entries: entries.length }, 201);
  }));
  router.get("/identifiers/:property/:value", (request) => {
    const row = first<{ id: string }>(sql, "SELECT id FROM wd_identifiers WHERE property = ? AND value = ?", param(request, "property"), param(request, "value"));
    return row ? json({ property: param(request, "property"), value: param(request, "value"), qid: row.id }) : fail(404, `no ${param(request, "property")} identifier ${param(request, "value")}`);
  });

  // ---- statistics -------------------------------------------------------------------------------------
  const propertyStats = (request: { params: Record<string, string | undefined> }) => {
    const p = param(request, "property");
    return { property: p, ...first<{ count: number; subjects: number; objects: number }>(sql, "SELECT COUNT(*) AS count, COUNT(DISTINCT subject) AS subjects, COUNT(DISTINCT object) AS objects FROM wd_statements WHERE predicate = ?", p) };
  };
  router.get("/graph/stats/property/:property/cooccurrence", (request) =>
    json({ property: param(request, "property"), cooccurring: all(sql, "SELECT s2.predicate AS property, COUNT(DISTINCT s2.subject) AS subjects FROM wd_statements s1 JOIN wd_statements s2 ON s2.subject = s1.subject AND s2.predicate != s1.predicate WHERE s1.predicate = ? GROUP BY s2.predicate ORDER BY subjects DESC LIMIT 100", param(request, "property")) }),
  );
  router.get("/graph/stats/property/:property/distribution", (request) =>
    json({ property: param(request, "property"), values: all(sql, "SELECT object AS value, COUNT(*) AS count FROM wd_statements WHERE predicate = ? GROUP BY object ORDER BY count DESC, object LIMIT 100", param(request, "property")) }),
  );
  router.get("/graph/stats/property/:property", (request) => json(propertyStats(request)));
  router.get("/stats/property/:property/global", (request) => json(propertyStats(request)));
  router.get("/stats/entities/count", () => json(first(sql, "SELECT COUNT(*) AS count, SUM(type = 'item') AS items, SUM(type = 'property') AS properties FROM wd_entities") ?? { count: 0 }));
  // workerd exposes no isolate's heap: the object's database size is what it can say.
  router.get("/stats/memory", () => json({ memoryUsedMB: null, databaseSizeMB: sql.databaseSize / (1024 * 1024), buffered: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wd_buffer")?.n ?? 0, note: "an isolate's heap is not observable in workerd; databaseSizeMB is this object's storage" }));
}

export const wikidata: Feature = {
  name: "wikidata",
  serves: ["wiki"],
  schema: { migrations: [migrateWikidata] },
  routes: wikidataRoutes,
};

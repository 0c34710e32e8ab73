import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { fail, isObject, json, readObject } from "../http";
import { changed, all, first, parseJson } from "../sql";

// Change data capture on streaming.perf.do (contract §7). Change events are
// {operation: insert|update|delete, table, before, after, timestamp}. `capture` appends them to a
// log, each with the next offset; transforms (filter, map, pipeline, schema) are pure; sinks keep what
// they are sent (per sink name), `with-retry` retries a failing sink with exponential backoff; the
// buffer holds events until `flush` appends them to the log in one go; a consumer commits offsets per
// source (`X-Source`), never backwards unless it asks to `reset`.

const OPERATIONS = ["insert", "update", "delete", "c", "u", "d", "r"];

function migrateCdc(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS cdc_log (offset INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS cdc_sinks (seq INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, event TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS cdc_buffer (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS cdc_offsets (source TEXT PRIMARY KEY, committed INTEGER NOT NULL)");
}

type Change = Record<string, unknown> & { operation: string; table: string };

function changeOf(e: unknown): Change | string {
  if (!isObject(e) || typeof e.operation !== "string" || !OPERATIONS.includes(e.operation) || typeof e.table !== "string") return "a change event needs {operation: insert|update|delete, table, before?, after?, timestamp?}";
  return { ...e, operation: e.operation, table: e.table, timestamp: typeof e.timestamp === "number" ? e.timestamp : Date.now() } as Change;
}

type Predicate = { field: string; operator?: string; value: unknown };

/** `field` may be dotted into the event: "after.status", "table". */
const fieldOf = (e: Record<string, unknown>, path: string): unknown => path.split(".").reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), e);

function passes(e: Record<string, unknown>, p: Predicate): boolean {
  const v = fieldOf(e, p.field);
  switch (p.operator ?? "eq") {
    case "eq": return v === p.value;
    case "ne": return v !== p.value;
    case "gt": return typeof v === "number" && v > Number(p.value);
    case "lt": return typeof v === "number" && v < Number(p.value);
    case "in": return Array.isArray(p.value) && p.value.includes(v);
    case "exists": return v !== undefined;
    default: return false;
  }
}

/** Renames fields of `after` and `before` (mapping old → new); a mapping to null drops the field. */
function mapped(e: Record<string, unknown>, mapping: Record<string, unknown>): Record<string, unknown> {
  const rename = (row: unknown) => {
    if (!isObject(row)) return row;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      const to = k in mapping ? mapping[k] : k;
      if (typeof to === "string") out[to] = v;
    }
    return out;
  };
  return { ...e, before: rename(e.before), after: rename(e.after) };
}

/** Conforms `after` to a schema {field: type}: missing fields become null, others are dropped, types checked. */
function conformed(e: Record<string, unknown>, schema: Record<string, unknown>): { event: Record<string, unknown>; errors: string[] } {
  const errors: string[] = [];
  const row = isObject(e.after) ? e.after : {};
  const after: Record<string, unknown> = {};
  for (const [field, type] of Object.entries(schema)) {
    const v = row[field];
    if (v === undefined || v === null) after[field] = null;
    else if (typeof v === type || (type === "integer" && Number.isInteger(v))) after[field] = v;
    else errors.push(`${field}: expected ${String(type)}, got ${typeof v}`);
  }
  return { event: { ...e, after }, errors };
}

type Step = { type: "filter"; predicate: Predicate } | { type: "map"; mapping: Record<string, unknown> } | { type: "schema"; schema: Record<string, unknown> };

function runPipeline(events: Array<Record<string, unknown>>, steps: Step[]): Array<Record<string, unknown>> {
  return steps.reduce((es, s) => (s.type === "filter" ? es.filter((e) => passes(e, s.predicate)) : s.type === "map" ? es.map((e) => mapped(e, s.mapping)) : es.map((e) => conformed(e, s.schema).event)), events);
}

const appendTo = (ctx: FeatureContext, events: Change[]): number[] =>
  ctx.transaction(() => events.map((e) => first<{ offset: number }>(ctx.sql, "INSERT INTO cdc_log (event, at) VALUES (?, ?) RETURNING offset", JSON.stringify(e), Date.now())?.offset as number));
/** The events of a body: `events`, or a single `event`. */
const eventsOf = (body: Record<string, unknown>): Array<Record<string, unknown>> => (Array.isArray(body.events) ? body.events.filter(isObject) : isObject(body.event) ? [body.event] : []);
const latestOffset = (sql: SqlStorage): number => first<{ o: number | null }>(sql, "SELECT MAX(offset) AS o FROM cdc_log")?.o ?? 0;
/** The consumer: `X-Source`, else the body's `source`. */
const sourceOf = (request: Request, body?: Record<string, unknown>): string => request.headers.get("x-source") ?? (typeof body?.source === "string" ? body.source : "default");

/** Capture into the log, and reading it. */
function captureRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const append = (events: Change[]): number[] => appendTo(ctx, events);
  const latest = (): number => latestOffset(sql);

  router.post("/cdc/capture/batch", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const changes = (Array.isArray(body.events) ? body.events : []).map(changeOf);
    const bad = changes.find((c) => typeof c === "string");
    if (changes.length === 0 || bad) return fail(400, `POST /cdc/capture/batch needs {events: [...]}${bad ? `: ${bad}` : ""}`);
    // Fault switch (local only): the batch's last event is acknowledged but never reaches the log.
    const kept = ctx.fault === "cdc-drops-batch-tail" ? (changes as Change[]).slice(0, -1) : (changes as Change[]);
    const offsets = append(kept);
    return json({ captured: changes.length, firstOffset: offsets[0], lastOffset: offsets[offsets.length - 1] }, 201);
  });
  router.post("/cdc/capture", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const c = changeOf(isObject(body.event) ? body.event : body);
    if (typeof c === "string") return fail(400, c);
    return json({ offset: append([c])[0], table: c.table, operation: c.operation }, 201);
  });
  router.get("/cdc/log", (request) => {
    const from = Number(new URL(request.url).searchParams.get("fromOffset") ?? 1) || 1;
    const rows = all<{ offset: number; event: string }>(sql, "SELECT offset, event FROM cdc_log WHERE offset >= ? ORDER BY offset LIMIT 1000", from);
    return json({ events: rows.map((r) => ({ offset: r.offset, ...(parseJson(r.event) as object) })), latestOffset: latest() });
  });

}

/** Transforms: pure functions of the events given (filter, map, schema, pipelines). */
function transformRoutes(router: RouterType): void {
  router.post("/cdc/transform/filter", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (!isObject(body.predicate) || typeof body.predicate.field !== "string") return fail(400, "needs {events, predicate: {field, operator?, value}}");
    const events = eventsOf(body);
    const kept = events.filter((e) => passes(e, body.predicate as Predicate));
    return json({ events: kept, input: events.length, output: kept.length });
  });
  router.post("/cdc/transform/map", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (!isObject(body.mapping)) return fail(400, "needs {events, mapping: {from: to | null}}");
    const events = eventsOf(body).map((e) => mapped(e, body.mapping as Record<string, unknown>));
    return json({ events, output: events.length });
  });
  router.post("/cdc/transform/schema", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (!isObject(body.schema)) return fail(400, "needs {events, schema: {field: type}}");
    const results = eventsOf(body).map((e) => conformed(e, body.schema as Record<string, unknown>));
    return json({ events: results.map((r) => r.event), errors: results.flatMap((r, i) => r.errors.map((m) => `event ${i}: ${m}`)), valid: results.every((r) => r.errors.length === 0) });
  });
  router.post("/cdc/transform/pipeline", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const steps = Array.isArray(body.steps) ? (body.steps.filter((s) => isObject(s) && ["filter", "map", "schema"].includes(String(s.type))) as Step[]) : [];
    if (steps.length === 0) return fail(400, "needs {events, steps: [{type: filter|map|schema, …}]}");
    const input = eventsOf(body);
    const events = runPipeline(input, steps);
    return json({ events, input: input.length, output: events.length, steps: steps.length });
  });
  router.post("/cdc/transform", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const steps = [isObject(body.predicate) ? { type: "filter", predicate: body.predicate } : null, isObject(body.mapping) ? { type: "map", mapping: body.mapping } : null].filter(Boolean) as Step[];
    const input = eventsOf(body);
    const events = runPipeline(input, steps);
    return json({ events, input: input.length, output: events.length });
  });

}

/** Sinks: delivery to named sinks, several at once, with retries. */
function sinkRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const sinkName = (v: unknown): string => (typeof v === "string" && v !== "" ? v : "default");
  const deliver = (sink: string, events: Array<Record<string, unknown>>): number => ctx.transaction(() => events.reduce((n, e) => n + changed(sql, "INSERT INTO cdc_sinks (sink, event) VALUES (?, ?)", sink, JSON.stringify(e)), 0));
  const sinkRoute = async (request: Request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const events = eventsOf(body);
    if (events.length === 0) return fail(400, "needs {events: [...] (or event), sink?}");
    return json({ sink: sinkName(body.sink), written: deliver(sinkName(body.sink), events) });
  };
  router.post("/cdc/sink/batch", sinkRoute);
  router.post("/cdc/sink/multi", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const sinks = Array.isArray(body.sinks) ? body.sinks.map(sinkName) : [];
    const events = eventsOf(body);
    if (sinks.length === 0 || events.length === 0) return fail(400, "needs {events, sinks: [...]}");
    return json({ results: sinks.map((s) => ({ sink: s, written: deliver(s, events) })) });
  });
  router.post("/cdc/sink/with-retry", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const events = eventsOf(body);
    const maxRetries = Math.min(Math.max(Math.trunc(Number(body.maxRetries ?? 3)) || 0, 0), 10);
    // Test hook: the sink fails this many attempts before it accepts (a flaky downstream).
    const failures = Math.max(Math.trunc(Number(body.failTimes ?? 0)) || 0, 0);
    const baseMs = Math.min(Math.max(Number(body.backoffMs ?? 1) || 1, 0), 100);
    const delays: number[] = [];
    // Attempt n fails while n <= failTimes; after a failure, wait base·2^(n-1) ms and retry, up to maxRetries.
    for (let attempt = 1; ; attempt++) {
      if (attempt > failures) return json({ sink: sinkName(body.sink), delivered: true, written: deliver(sinkName(body.sink), events), attempts: attempt, backoffMs: delays });
      if (attempt > maxRetries) return json({ sink: sinkName(body.sink), delivered: false, attempts: attempt, backoffMs: delays, deadLettered: events.length });
      delays.push(baseMs * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, delays[delays.length - 1]));
    }
  });
  router.post("/cdc/sink", sinkRoute);
  router.get("/cdc/sink/count", (request) => {
    const sink = sinkName(new URL(request.url).searchParams.get("sink"));
    return json({ sink, count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM cdc_sinks WHERE sink = ?", sink)?.n ?? 0 });
  });

}

/** A buffer in front of the log, flushed into it. */
function bufferRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const latest = (): number => latestOffset(sql);
  router.post("/cdc/buffer/add", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const changes = (Array.isArray(body.events) ? body.events : [isObject(body.event) ? body.event : body]).map(changeOf);
    const bad = changes.find((c) => typeof c === "string");
    if (bad) return fail(400, bad as string);
    ctx.transaction(() => changes.forEach((c) => sql.exec("INSERT INTO cdc_buffer (event) VALUES (?)", JSON.stringify(c))));
    return json({ buffered: changes.length, size: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM cdc_buffer")?.n ?? 0 });
  });
  router.post("/cdc/buffer/flush", () => {
    const flushed = ctx.transaction(() => {
      const n = changed(sql, "INSERT INTO cdc_log (event, at) SELECT event, ? FROM cdc_buffer ORDER BY seq", Date.now());
      sql.exec("DELETE FROM cdc_buffer");
      return n;
    });
    return json({ flushed, latestOffset: latest() });
  });
  router.get("/cdc/buffer/size", () => json({ size: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM cdc_buffer")?.n ?? 0 }));

}

/** Consumer offsets per source: commit (never backwards), reset, current and lag. */
function offsetRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const latest = (): number => latestOffset(sql);
  router.post("/cdc/offset/commit", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const offset = Math.trunc(Number(body.offset));
    if (!Number.isFinite(offset) || offset < 0) return fail(400, "needs {offset} (X-Source names the consumer)");
    if (offset > latest()) return fail(409, `offset ${offset} is beyond the log's latest ${latest()}`);
    const source = sourceOf(request, body);
    const before = first<{ committed: number }>(sql, "SELECT committed FROM cdc_offsets WHERE source = ?", source)?.committed ?? 0;
    // Commits never move back: a stale commit (a slower worker) is acknowledged and ignored.
    if (offset > before) sql.exec("INSERT INTO cdc_offsets (source, committed) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET committed = excluded.committed", source, offset);
    return json({ source, committed: Math.max(offset, before), moved: offset > before });
  });
  router.post("/cdc/offset/reset", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const offset = Math.max(Math.trunc(Number(body.offset ?? 0)) || 0, 0);
    const source = sourceOf(request, body);
    sql.exec("INSERT INTO cdc_offsets (source, committed) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET committed = excluded.committed", source, offset);
    return json({ source, committed: offset });
  });
  router.get("/cdc/offset/current", (request) => {
    const source = sourceOf(request);
    const committed = first<{ committed: number }>(sql, "SELECT committed FROM cdc_offsets WHERE source = ?", source)?.committed ?? 0;
    const l = latest();
    return json({ source, committed, latest: l, lag: l - committed });
  });
  router.post("/cdc/clear", () => json({ cleared: ctx.transaction(() => ["cdc_log", "cdc_sinks", "cdc_buffer", "cdc_offsets"].reduce((n, t) => n + changed(sql, `DELETE FROM ${t}`), 0)) }));
}

// The route groups, in the order their routes are tried.
function cdcRoutes(router: RouterType, ctx: FeatureContext): void {
  captureRoutes(router, ctx);
  transformRoutes(router);
  sinkRoutes(router, ctx);
  bufferRoutes(router, ctx);
  offsetRoutes(router, ctx);
}

export const cdc: Feature = {
  name: "cdc",
  serves: ["streaming"],
  schema: { migrations: [migrateCdc] },
  routes: cdcRoutes,
};

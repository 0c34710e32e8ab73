import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { check, type Infer, q, s as v, withBody, withQuery } from "../input";
import { fail, isObject, json } from "../http";
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

const ChangeEvent = v.object({ operation: v.literal(...OPERATIONS), table: v.string(), timestamp: v.optional(v.number()) });
type Change = Infer<typeof ChangeEvent>;
/** A change as logged: its timestamp is when it was captured, unless it came with one. */
const stamped = (c: Change): Change => (c.timestamp === undefined ? { ...c, timestamp: Date.now() } : c);

const Events = { events: v.optional(v.array(v.record())), event: v.optional(v.record()) };
const PredicateBody = v.object({ field: v.string(), operator: v.optional(v.literal("eq", "ne", "gt", "lt", "in", "exists")), value: v.optional(v.value()) });
const StepBody = v.tagged("type", {
  filter: v.object({ type: v.literal("filter"), predicate: PredicateBody }),
  map: v.object({ type: v.literal("map"), mapping: v.record() }),
  schema: v.object({ type: v.literal("schema"), schema: v.record() }),
});
const CaptureBatch = v.object({ events: v.array(ChangeEvent, { min: 1 }) });
const CaptureOne = v.object({ event: v.optional(ChangeEvent) });
const FilterBody = v.object({ ...Events, predicate: PredicateBody });
const MapBody = v.object({ ...Events, mapping: v.record() });
const SchemaBody = v.object({ ...Events, schema: v.record() });
const PipelineBody = v.object({ ...Events, steps: v.array(StepBody, { min: 1 }) });
const TransformBody = v.object({ ...Events, predicate: v.optional(PredicateBody), mapping: v.optional(v.record()) });
const SinkBody = v.object({ ...Events, sink: v.optional(v.string()) });
const MultiSinkBody = v.object({ ...Events, sinks: v.array(v.string(), { min: 1 }) });
const RetrySinkBody = v.object({
  ...Events,
  sink: v.optional(v.string()),
  // The backoff sleeps in the request: at most 10 retries, each wait at most 500 ms (5 s in all).
  maxRetries: v.optional(v.number({ integer: true, min: 0, max: 10 })),
  // Test hook: the sink fails this many attempts before it accepts (a flaky downstream).
  failTimes: v.optional(v.number({ integer: true, min: 0 })),
  backoffMs: v.optional(v.number({ min: 0, max: 100 })),
});
const BufferBody = v.object({ events: v.optional(v.array(ChangeEvent)), event: v.optional(ChangeEvent) });
const OffsetBody = v.object({ offset: v.number({ integer: true, min: 0 }), source: v.optional(v.string()) });
const ResetBody = v.object({ offset: v.optional(v.number({ integer: true, min: 0 })), source: v.optional(v.string()) });

type Predicate = Infer<typeof PredicateBody>;

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

type Step = Infer<typeof StepBody>;

function runPipeline(events: Array<Record<string, unknown>>, steps: Step[]): Array<Record<string, unknown>> {
  return steps.reduce((es, s) => (s.type === "filter" ? es.filter((e) => passes(e, s.predicate)) : s.type === "map" ? es.map((e) => mapped(e, s.mapping)) : es.map((e) => conformed(e, s.schema).event)), events);
}

const appendTo = (ctx: FeatureContext, events: Change[]): number[] =>
  ctx.transaction(() => events.map((e) => first<{ offset: number }>(ctx.sql, "INSERT INTO cdc_log (event, at) VALUES (?, ?) RETURNING offset", JSON.stringify(e), Date.now())?.offset as number));
/** The events of a body: `events`, or a single `event`. */
const eventsOf = (body: { events?: Array<Record<string, unknown>>; event?: Record<string, unknown> }): Array<Record<string, unknown>> => body.events ?? (body.event ? [body.event] : []);
const latestOffset = (sql: SqlStorage): number => first<{ o: number | null }>(sql, "SELECT MAX(offset) AS o FROM cdc_log")?.o ?? 0;
/** The consumer: `X-Source`, else the body's `source`. */
const sourceOf = (request: Request, body?: { source?: string }): string => request.headers.get("x-source") ?? body?.source ?? "default";

/** Capture into the log, and reading it. */
function captureRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const append = (events: Change[]): number[] => appendTo(ctx, events);
  const latest = (): number => latestOffset(sql);

  router.post("/cdc/capture/batch", withBody(CaptureBatch, ({ events }) => {
    const changes = events.map(stamped);
    // Fault switch (local only): the batch's last event is acknowledged but never reaches the log.
    const kept = ctx.fault === "cdc-drops-batch-tail" ? changes.slice(0, -1) : changes;
    const offsets = append(kept);
    return json({ captured: changes.length, firstOffset: offsets[0], lastOffset: offsets[offsets.length - 1] }, 201);
  }));
  // The event is `{event: {…}}` or the body itself: whichever it is must be a change.
  router.post("/cdc/capture", withBody(CaptureOne, (body) => {
    const checked = body.event ?? check(ChangeEvent, body);
    if (typeof checked === "string") return fail(400, `POST /cdc/capture: ${checked}`);
    const c = stamped(checked);
    return json({ offset: append([c])[0], table: c.table, operation: c.operation }, 201);
  }));
  router.get("/cdc/log", withQuery({ fromOffset: v.withDefault(q.int({ min: 0, max: Number.MAX_SAFE_INTEGER }), 1) }, ({ fromOffset }) => {
    const from = fromOffset || 1;
    const rows = all<{ offset: number; event: string }>(sql, "SELECT offset, event FROM cdc_log WHERE offset >= ? ORDER BY offset LIMIT 1000", from);
    return json({ events: rows.map((r) => ({ offset: r.offset, ...(parseJson(r.event) as object) })), latestOffset: latest() });
  }));

}

/** Transforms: pure functions of the events given (filter, map, schema, pipelines). */
function transformRoutes(router: RouterType): void {
  router.post("/cdc/transform/filter", withBody(FilterBody, (body) => {
    const events = eventsOf(body);
    const kept = events.filter((e) => passes(e, body.predicate));
    return json({ events: kept, input: events.length, output: kept.length });
  }));
  router.post("/cdc/transform/map", withBody(MapBody, (body) => {
    const events = eventsOf(body).map((e) => mapped(e, body.mapping));
    return json({ events, output: events.length });
  }));
  router.post("/cdc/transform/schema", withBody(SchemaBody, (body) => {
    const results = eventsOf(body).map((e) => conformed(e, body.schema));
    return json({ events: results.map((r) => r.event), errors: results.flatMap((r, i) => r.errors.map((m) => `event ${i}: ${m}`)), valid: results.every((r) => r.errors.length === 0) });
  }));
  router.post("/cdc/transform/pipeline", withBody(PipelineBody, (body) => {
    const input = eventsOf(body);
    const events = runPipeline(input, body.steps);
    return json({ events, input: input.length, output: events.length, steps: body.steps.length });
  }));
  router.post("/cdc/transform", withBody(TransformBody, (body) => {
    const steps: Step[] = [];
    if (body.predicate) steps.push({ type: "filter", predicate: body.predicate });
    if (body.mapping) steps.push({ type: "map", mapping: body.mapping });
    const input = eventsOf(body);
    const events = runPipeline(input, steps);
    return json({ events, input: input.length, output: events.length });
  }));

}

/** Sinks: delivery to named sinks, several at once, with retries. */
function sinkRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const sinkName = (name: string | undefined): string => name || "default";
  const deliver = (sink: string, events: Array<Record<string, unknown>>): number => ctx.transaction(() => events.reduce((n, e) => n + changed(sql, "INSERT INTO cdc_sinks (sink, event) VALUES (?, ?)", sink, JSON.stringify(e)), 0));
  // Delivering nothing is a client's mistake: the events are the point (a rule across two fields).
  const NO_EVENTS = "needs {events: [...]} or {event}";
  const sinkRoute = withBody(SinkBody, (body) => {
    const events = eventsOf(body);
    if (events.length === 0) return fail(400, `POST /cdc/sink ${NO_EVENTS}`);
    return json({ sink: sinkName(body.sink), written: deliver(sinkName(body.sink), events) });
  });
  router.post("/cdc/sink/batch", sinkRoute);
  router.post("/cdc/sink/multi", withBody(MultiSinkBody, (body) => {
    const events = eventsOf(body);
    if (events.length === 0) return fail(400, `POST /cdc/sink/multi ${NO_EVENTS}`);
    return json({ results: body.sinks.map(sinkName).map((s) => ({ sink: s, written: deliver(s, events) })) });
  }));
  router.post("/cdc/sink/with-retry", withBody(RetrySinkBody, async (body) => {
    const events = eventsOf(body);
    const maxRetries = body.maxRetries ?? 3;
    const failures = body.failTimes ?? 0;
    const baseMs = body.backoffMs || 1;
    const delays: number[] = [];
    // Attempt n fails while n <= failTimes; after a failure, wait base·2^(n-1) ms and retry, up to maxRetries.
    for (let attempt = 1; ; attempt++) {
      if (attempt > failures) return json({ sink: sinkName(body.sink), delivered: true, written: deliver(sinkName(body.sink), events), attempts: attempt, backoffMs: delays });
      if (attempt > maxRetries) return json({ sink: sinkName(body.sink), delivered: false, attempts: attempt, backoffMs: delays, deadLettered: events.length });
      delays.push(Math.min(baseMs * 2 ** (attempt - 1), 500));
      await new Promise((r) => setTimeout(r, delays[delays.length - 1]));
    }
  }));
  router.post("/cdc/sink", sinkRoute);
  router.get("/cdc/sink/count", withQuery({ sink: v.optional(q.string()) }, (query) => {
    const sink = sinkName(query.sink);
    return json({ sink, count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM cdc_sinks WHERE sink = ?", sink)?.n ?? 0 });
  }));

}

/** A buffer in front of the log, flushed into it. */
function bufferRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const latest = (): number => latestOffset(sql);
  // `{events}`, `{event}`, or the body itself as the one change.
  router.post("/cdc/buffer/add", withBody(BufferBody, (body) => {
    const one = body.events || body.event ? undefined : check(ChangeEvent, body);
    if (typeof one === "string") return fail(400, `POST /cdc/buffer/add: ${one}`);
    const changes = (body.events ?? [body.event ?? (one as Change)]).map(stamped);
    ctx.transaction(() => changes.forEach((c) => sql.exec("INSERT INTO cdc_buffer (event) VALUES (?)", JSON.stringify(c))));
    return json({ buffered: changes.length, size: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM cdc_buffer")?.n ?? 0 });
  }));
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
  router.post("/cdc/offset/commit", withBody(OffsetBody, (body, request) => {
    const { offset } = body;
    if (offset > latest()) return fail(409, `offset ${offset} is beyond the log's latest ${latest()}`);
    const source = sourceOf(request, body);
    const before = first<{ committed: number }>(sql, "SELECT committed FROM cdc_offsets WHERE source = ?", source)?.committed ?? 0;
    // Commits never move back: a stale commit (a slower worker) is acknowledged and ignored.
    if (offset > before) sql.exec("INSERT INTO cdc_offsets (source, committed) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET committed = excluded.committed", source, offset);
    return json({ source, committed: Math.max(offset, before), moved: offset > before });
  }));
  router.post("/cdc/offset/reset", withBody(ResetBody, (body, request) => {
    const offset = body.offset ?? 0;
    const source = sourceOf(request, body);
    sql.exec("INSERT INTO cdc_offsets (source, committed) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET committed = excluded.committed", source, offset);
    return json({ source, committed: offset });
  }));
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

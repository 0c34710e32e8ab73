import type { RouterType } from "itty-router";
import { filterQuery, type Infer, limitQuery, q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, filters, first, now, param, parseJson, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";

// Events store (contract §5): an append-only log with a monotonic, unique sequence, and replay from
// a sequence (a negative `fromSequence` means "the last N").

interface EventRow extends Row {
  id: string;
  sequence: number;
  verb: string;
  source: string;
  data: string;
  action_id: string | null;
  streamed: number;
  created_at: string;
}

export function migrateEvents(sql: SqlStorage): void {
  // INTEGER PRIMARY KEY AUTOINCREMENT never reuses a sequence, even after deletes.
  sql.exec(`CREATE TABLE IF NOT EXISTS events (sequence INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, verb TEXT NOT NULL,
    source TEXT NOT NULL, data TEXT NOT NULL, action_id TEXT, streamed INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)`);
}

const view = (r: EventRow) => ({ id: r.id, sequence: r.sequence, verb: r.verb, source: r.source, data: parseJson(r.data), actionId: r.action_id ?? undefined, streamed: r.streamed === 1, createdAt: r.created_at });

/** Appends one event; also used by the DLQ's replay. Returns null for an invalid event. */
const NewEvent = v.object({ verb: v.string(), source: v.string(), data: v.optional(v.value()), actionId: v.optional(v.string()) });
const NewEvents = v.union(v.array(NewEvent), v.object({ events: v.array(NewEvent) }), "a JSON array of events, or {events: [...]}");

export function appendEvent(sql: SqlStorage, input: Infer<typeof NewEvent>): ReturnType<typeof view> {
  const id = crypto.randomUUID();
  const row = first<EventRow>(
    sql,
    "INSERT INTO events (id, verb, source, data, action_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
    id, input.verb, input.source, JSON.stringify(input.data ?? {}), input.actionId ?? null, now(),
  );
  return view(row as EventRow);
}

export function eventRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  router.post("/events/batch", withBody(NewEvents, (body) => {
    const items = Array.isArray(body) ? body : body.events;
    const created = transaction(() => items.map((item) => appendEvent(sql, item)));
    return json({ created: created.length, events: created }, 201);
  }));
  router.post("/events", withBody(NewEvent, (body) => json(appendEvent(sql, body), 201)));
  // `fromSequence`: negative for the last N.
  router.get("/events/replay", withQuery({ fromSequence: v.withDefault(q.int({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), 0), ...limitQuery() }, ({ fromSequence: from, limit }) => {
    const start = from < 0 ? Math.max(0, ((first<{ m: number }>(sql, "SELECT COALESCE(MAX(sequence), 0) AS m FROM events")?.m ?? 0) as number) + from + 1) : from;
    const rows = all<EventRow>(sql, "SELECT * FROM events WHERE sequence >= ? ORDER BY sequence LIMIT ?", start, limit);
    return json({ events: rows.map(view), fromSequence: start, nextSequence: rows.length > 0 ? (rows[rows.length - 1] as EventRow).sequence + 1 : start });
  }));
  router.get("/events", withQuery({ ...filterQuery("source", "verb"), streamed: v.optional(q.bool()), order: v.withDefault(q.oneOf("asc", "desc", "ASC", "DESC"), "asc"), ...limitQuery() }, (query) => {
    const { where, params } = filters(query, { source: "source", verb: "verb" });
    const clause = query.streamed === undefined ? where : `${where ? `${where} AND` : "WHERE"} streamed = ?`;
    if (query.streamed !== undefined) params.push(query.streamed ? 1 : 0);
    const order = query.order.toLowerCase() === "desc" ? "DESC" : "ASC";
    return json(all<EventRow>(sql, `SELECT * FROM events ${clause} ORDER BY sequence ${order} LIMIT ?`, ...params, query.limit).map(view));
  }));
  router.post("/events/:id/streamed", (request) => {
    const id = param(request, "id");
    const row = first<EventRow>(sql, "UPDATE events SET streamed = 1 WHERE id = ? RETURNING *", id);
    return row ? json(view(row)) : fail(404, `event ${id} not found`);
  });
}

export const events: Feature = {
  name: "events",
  serves: ["stores"],
  schema: { migrations: [migrateEvents] },
  routes: eventRoutes,
};

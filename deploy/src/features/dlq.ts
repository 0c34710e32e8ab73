import type { RouterType } from "itty-router";
import { filterQuery, limitQuery, q, s, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, first, now, param, parseJson, type Row } from "../sql";
import { appendEvent } from "./events";
import type { Feature, FeatureContext } from "../feature";

// Dead-letter queue (contract §5): failed events with a retry budget. An entry is exhausted once its
// retries reach maxRetries; replay re-emits the event into the events store and removes the entry.

interface DlqRow extends Row {
  id: string;
  event_id: string;
  verb: string;
  source: string;
  data: string;
  error: string;
  error_stack: string | null;
  retries: number;
  max_retries: number;
  created_at: string;
  updated_at: string;
}

export function migrateDlq(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS dlq (id TEXT PRIMARY KEY, event_id TEXT NOT NULL, verb TEXT NOT NULL, source TEXT NOT NULL, data TEXT NOT NULL,
    error TEXT NOT NULL, error_stack TEXT, retries INTEGER NOT NULL, max_retries INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
}

const view = (r: DlqRow) => ({
  id: r.id, eventId: r.event_id, verb: r.verb, source: r.source, data: parseJson(r.data), error: r.error, errorStack: r.error_stack ?? undefined,
  retries: r.retries, maxRetries: r.max_retries, exhausted: r.retries >= r.max_retries, createdAt: r.created_at, updatedAt: r.updated_at,
});

const Purge = s.object({ exhausted: s.optional(s.boolean()), olderThanHours: s.optional(s.number({ min: 0 })) });
const NewEntry = s.object({
  eventId: s.string(), verb: s.string(), source: s.string(), error: s.string(),
  data: s.optional(s.value()), errorStack: s.optional(s.string()), maxRetries: s.optional(s.number({ integer: true, min: 0 })),
});

export function dlqRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/dlq/purge", withBody(Purge, (opts) => {
    let purged: number;
    if (opts.exhausted === true) purged = sql.exec("DELETE FROM dlq WHERE retries >= max_retries").rowsWritten;
    else if (opts.olderThanHours !== undefined) {
      purged = sql.exec("DELETE FROM dlq WHERE created_at < ?", new Date(Date.now() - opts.olderThanHours * 3_600_000).toISOString()).rowsWritten;
    } else return fail(400, "POST /dlq/purge: exhausted: true or olderThanHours: required"); // one of two: a rule
    return json({ purged });
  }));
  router.post("/dlq", withBody(NewEntry, (body) => {
    const maxRetries = body.maxRetries ?? 3;
    const at = now();
    const row = first<DlqRow>(
      sql,
      "INSERT INTO dlq (id, event_id, verb, source, data, error, error_stack, retries, max_retries, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING *",
      crypto.randomUUID(), body.eventId, body.verb, body.source, JSON.stringify(body.data ?? {}), body.error, body.errorStack ?? null, maxRetries, at, at,
    );
    return json(view(row as DlqRow), 201);
  }));
  router.get("/dlq/stats", () => {
    const s = first<{ total: number; exhausted: number; retries: number }>(sql, "SELECT COUNT(*) AS total, COALESCE(SUM(retries >= max_retries), 0) AS exhausted, COALESCE(SUM(retries), 0) AS retries FROM dlq");
    const byVerb = Object.fromEntries(all<{ verb: string; n: number }>(sql, "SELECT verb, COUNT(*) AS n FROM dlq GROUP BY verb").map((r) => [r.verb, r.n]));
    return json({ total: s?.total ?? 0, exhausted: s?.exhausted ?? 0, pending: (s?.total ?? 0) - (s?.exhausted ?? 0), totalRetries: s?.retries ?? 0, byVerb });
  });
  router.get("/dlq", withQuery({ ...filterQuery("verb"), exhausted: s.optional(q.bool()), ...limitQuery() }, ({ verb, exhausted, limit }) => {
    const clauses: string[] = [];
    const params: SqlStorageValue[] = [];
    if (verb) (clauses.push("verb = ?"), params.push(verb));
    if (exhausted !== undefined) clauses.push(exhausted ? "retries >= max_retries" : "retries < max_retries");
    const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
    return json(all<DlqRow>(sql, `SELECT * FROM dlq ${where} ORDER BY created_at LIMIT ?`, ...params, limit).map(view));
  }));
  router.get("/dlq/:id", (request) => {
    const row = first<DlqRow>(sql, "SELECT * FROM dlq WHERE id = ?", param(request, "id"));
    return row ? json(view(row)) : fail(404, `dlq entry ${param(request, "id")} not found`);
  });
  router.post("/dlq/:id/increment", (request) => {
    const id = param(request, "id");
    const row = first<DlqRow>(sql, "UPDATE dlq SET retries = retries + 1, updated_at = ? WHERE id = ? RETURNING *", now(), id);
    return row ? json(view(row)) : fail(404, `dlq entry ${id} not found`);
  });
  router.post("/dlq/:id/replay", (request) => {
    const id = param(request, "id");
    const row = first<DlqRow>(sql, "SELECT * FROM dlq WHERE id = ?", id);
    if (!row) return fail(404, `dlq entry ${id} not found`);
    const event = appendEvent(sql, { verb: row.verb, source: row.source, data: parseJson(row.data) });
    sql.exec("DELETE FROM dlq WHERE id = ?", id);
    return json({ replayed: true, id, event });
  });
  router.delete("/dlq/:id", (request) => {
    const id = param(request, "id");
    return sql.exec("DELETE FROM dlq WHERE id = ?", id).rowsWritten > 0 ? json({ id, deleted: true }) : fail(404, `dlq entry ${id} not found`);
  });
}

export const dlq: Feature = {
  name: "dlq",
  serves: ["stores"],
  schema: { migrations: [migrateDlq] },
  uses: ["events"], // a replayed entry is appended to the event log
  routes: dlqRoutes,
};

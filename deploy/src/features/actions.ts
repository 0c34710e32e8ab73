import type { RouterType } from "itty-router";
import { filterQuery, limitQuery, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, filters, first, now, param, parseJson, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";

// Actions store (contract §5): a lifecycle pending → running → completed | failed, retry back to
// pending. Transitions that do not follow it are refused (409). `requestId` makes creation idempotent.

const DURABILITY = ["send", "try", "do"] as const;
const TRANSITIONS: Record<string, { from: string[]; to: string }> = {
  start: { from: ["pending"], to: "running" },
  // A `durability: "try"` action (best effort, run inline) may also complete straight from pending,
  // counted as one attempt (perf.do's own suite completes them so); a durable one must be started.
  complete: { from: ["running"], to: "completed" },
  fail: { from: ["pending", "running"], to: "failed" },
  retry: { from: ["failed"], to: "pending" },
};

interface ActionRow extends Row {
  id: string;
  verb: string;
  target: string;
  actor: string;
  input: string;
  output: string | null;
  error: string | null;
  durability: string;
  status: string;
  attempts: number;
  request_id: string | null;
  session_id: string | null;
  workflow_id: string | null;
  created_at: string;
  updated_at: string;
}

export function migrateActions(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS actions (id TEXT PRIMARY KEY, verb TEXT NOT NULL, target TEXT NOT NULL, actor TEXT NOT NULL,
    input TEXT NOT NULL, output TEXT, error TEXT, durability TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
    request_id TEXT UNIQUE, session_id TEXT, workflow_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  sql.exec("CREATE INDEX IF NOT EXISTS actions_target ON actions (target)");
  sql.exec("CREATE INDEX IF NOT EXISTS actions_status ON actions (status)");
}

const view = (r: ActionRow) => ({
  id: r.id, verb: r.verb, target: r.target, actor: r.actor, input: parseJson(r.input), output: r.output === null ? undefined : parseJson(r.output),
  error: r.error === null ? undefined : parseJson(r.error), durability: r.durability, status: r.status, attempts: r.attempts,
  requestId: r.request_id ?? undefined, sessionId: r.session_id ?? undefined, workflowId: r.workflow_id ?? undefined, createdAt: r.created_at, updatedAt: r.updated_at,
});

const NewAction = v.object({
  verb: v.string(),
  target: v.string(),
  actor: v.string(),
  input: v.optional(v.value()),
  durability: v.optional(v.literal(...DURABILITY)),
  requestId: v.optional(v.string()),
  sessionId: v.optional(v.string()),
  workflowId: v.optional(v.string()),
});
// complete carries an output, fail an error; start and retry need nothing.
const TransitionBody = v.object({ output: v.optional(v.value()), error: v.optional(v.value()) });

export function actionRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/actions", withBody(NewAction, (body) => {
    const durability = body.durability ?? "try";
    const requestId = body.requestId ?? null;
    if (requestId !== null) {
      const existing = first<ActionRow>(sql, "SELECT * FROM actions WHERE request_id = ?", requestId);
      if (existing) return json({ ...view(existing), deduplicated: true });
    }
    const at = now();
    const row: ActionRow = {
      id: crypto.randomUUID(), verb: body.verb, target: body.target, actor: body.actor, input: JSON.stringify(body.input ?? null), output: null, error: null,
      durability, status: "pending", attempts: 0, request_id: requestId, session_id: body.sessionId ?? null,
      workflow_id: body.workflowId ?? null, created_at: at, updated_at: at,
    };
    sql.exec(
      "INSERT INTO actions (id, verb, target, actor, input, output, error, durability, status, attempts, request_id, session_id, workflow_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      row.id, row.verb, row.target, row.actor, row.input, row.output, row.error, row.durability, row.status, row.attempts, row.request_id, row.session_id, row.workflow_id, row.created_at, row.updated_at,
    );
    return json(view(row), 201);
  }));
  router.get("/actions", withQuery({ ...filterQuery("target", "actor", "status", "verb"), ...limitQuery() }, (query) => {
    const { where, params } = filters(query, { target: "target", actor: "actor", status: "status", verb: "verb" });
    return json(all<ActionRow>(sql, `SELECT * FROM actions ${where} ORDER BY created_at LIMIT ?`, ...params, query.limit).map(view));
  }));
  router.get("/actions/:id", (request) => {
    const row = first<ActionRow>(sql, "SELECT * FROM actions WHERE id = ?", param(request, "id"));
    return row ? json(view(row)) : fail(404, `action ${param(request, "id")} not found`);
  });
  router.post("/actions/:id/:transition", withBody(TransitionBody, (input, request) => {
    const id = param(request, "id");
    const transition = TRANSITIONS[param(request, "transition")];
    if (!transition) return fail(404, `no action transition ${param(request, "transition")} (start, complete, fail, retry)`);
    const row = first<ActionRow>(sql, "SELECT * FROM actions WHERE id = ?", id);
    if (!row) return fail(404, `action ${id} not found`);
    const inline = param(request, "transition") === "complete" && row.status === "pending" && row.durability === "try";
    if (!transition.from.includes(row.status) && !inline) return fail(409, `action ${id} is ${row.status}; ${param(request, "transition")} needs ${transition.from.join(" or ")}`);
    const output = transition.to === "completed" ? JSON.stringify(input.output ?? null) : row.output;
    const error = transition.to === "failed" ? JSON.stringify(input.error ?? { message: "failed" }) : transition.to === "pending" ? null : row.error;
    const attempts = transition.to === "running" || inline ? row.attempts + 1 : row.attempts;
    const at = now();
    sql.exec("UPDATE actions SET status = ?, output = ?, error = ?, attempts = ?, updated_at = ? WHERE id = ?", transition.to, output, error, attempts, at, id);
    return json(view({ ...row, status: transition.to, output, error, attempts, updated_at: at }));
  }));
}

export const actions: Feature = {
  name: "actions",
  serves: ["stores"],
  schema: { migrations: [migrateActions] },
  routes: actionRoutes,
};

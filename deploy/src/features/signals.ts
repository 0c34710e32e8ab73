import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { type Infer, q, s as v, withBody, withQuery } from "../input";
import { json } from "../http";
import { all, first, parseJson } from "../sql";

// Signals on workflow.perf.do (contract §8): messages sent to a running workflow by name. A signal
// waits as pending until consumed (oldest first); `wait` holds the request open until a matching
// signal arrives or its timeout passes (the object keeps serving other requests meanwhile: a waiter
// is a promise the next `send` resolves); `cross-workflow` signals another workflow on behalf of one;
// `broadcast` sends one signal to many. History keeps every signal, consumed or not.

/** The longest a wait holds its request open: a caller asking for longer is refused (400), not kept waiting. */
const MAX_WAIT_MS = 5_000;

interface SignalRow {
  id: string;
  workflow_id: string;
  name: string;
  payload: string;
  from_workflow: string | null;
  status: string;
  sent_at: number;
  [k: string]: SqlStorageValue;
}

function migrateSignals(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS signals (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workflow_id TEXT NOT NULL, name TEXT NOT NULL, payload TEXT NOT NULL,
    from_workflow TEXT, status TEXT NOT NULL, sent_at INTEGER NOT NULL)`);
  sql.exec("CREATE INDEX IF NOT EXISTS signals_pending ON signals (workflow_id, status, seq)");
}

const view = (r: SignalRow) => ({ signalId: r.id, workflowId: r.workflow_id, name: r.name, payload: parseJson(r.payload), from: r.from_workflow ?? undefined, status: r.status, sentAt: r.sent_at });

const Signal = v.object({ workflowId: v.string(), name: v.string(), payload: v.optional(v.value()) });
const BatchBody = v.object({ signals: v.array(Signal, { min: 1, max: 1000 }) });
const CrossBody = v.object({ fromWorkflowId: v.string(), toWorkflowId: v.string(), name: v.string(), payload: v.optional(v.value()) });
const BroadcastBody = v.object({ workflowIds: v.array(v.string(), { min: 1 }), name: v.string(), payload: v.optional(v.value()) });
const ConsumeBody = v.object({ workflowId: v.string(), name: v.optional(v.string()) });
const WaitBody = v.object({ workflowId: v.string(), name: v.optional(v.string()), timeout: v.optional(v.number({ min: 0, max: MAX_WAIT_MS })) });

function signalRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  // Waiters of this object instance, by workflow: resolved by the send that delivers their signal.
  const waiters = new Map<string, Array<{ name: string | null; resolve: (row: SignalRow) => void }>>();
  const takeOldest = (workflowId: string, name: string | null): SignalRow | undefined => {
    const row = first<SignalRow>(sql, `SELECT * FROM signals WHERE workflow_id = ? AND status = 'pending'${name ? " AND name = ?" : ""} ORDER BY seq LIMIT 1`, ...(name ? [workflowId, name] : [workflowId]));
    if (row) sql.exec("UPDATE signals SET status = 'consumed' WHERE id = ?", row.id);
    return row;
  };
  const send = (s: Infer<typeof Signal>, from: string | null = null): SignalRow => {
    const row: SignalRow = { id: crypto.randomUUID(), workflow_id: s.workflowId, name: s.name, payload: JSON.stringify(s.payload ?? null), from_workflow: from, status: "pending", sent_at: Date.now() };
    sql.exec("INSERT INTO signals (id, workflow_id, name, payload, from_workflow, status, sent_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)", row.id, row.workflow_id, row.name, row.payload, from, row.sent_at);
    // A waiter for it takes it at once (consumed), the first waiter first.
    const list = waiters.get(row.workflow_id) ?? [];
    const i = list.findIndex((w) => w.name === null || w.name === row.name);
    if (i >= 0) {
      const [w] = list.splice(i, 1);
      sql.exec("UPDATE signals SET status = 'consumed' WHERE id = ?", row.id);
      w?.resolve({ ...row, status: "consumed" });
    }
    return row;
  };

  router.post("/signals/send-batch", withBody(BatchBody, ({ signals }) => {
    const rows = ctx.transaction(() => signals.map((s) => send(s)));
    return json({ sent: rows.length, signalIds: rows.map((r) => r.id) }, 201);
  }));
  router.post("/signals/send", withBody(Signal, (body) => {
    const row = send(body);
    return json({ signalId: row.id, status: row.status }, 201);
  }));
  router.post("/signals/cross-workflow", withBody(CrossBody, (body) => {
    const row = send({ workflowId: body.toWorkflowId, name: body.name, payload: body.payload }, body.fromWorkflowId);
    return json({ signalId: row.id, from: body.fromWorkflowId, to: body.toWorkflowId }, 201);
  }));
  router.post("/signals/broadcast", withBody(BroadcastBody, ({ workflowIds, name, payload }) => {
    const rows = ctx.transaction(() => workflowIds.map((workflowId) => send({ workflowId, name, payload })));
    return json({ delivered: rows.length, signalIds: rows.map((r) => r.id) }, 201);
  }));
  router.post("/signals/consume", withBody(ConsumeBody, (body) => {
    const row = takeOldest(body.workflowId, body.name ?? null);
    return json(row ? { consumed: true, signal: view({ ...row, status: "consumed" }) } : { consumed: false, signal: null });
  }));
  // `timeout`: ms, 1000 when absent, at most MAX_WAIT_MS (declared).
  router.post("/signals/wait", withBody(WaitBody, async (body) => {
    const workflowId = body.workflowId;
    const name = body.name ?? null;
    const timeout = body.timeout ?? 1000;
    const started = Date.now();
    const ready = takeOldest(workflowId, name);
    if (ready) return json({ received: true, timedOut: false, waitedMs: 0, signal: view({ ...ready, status: "consumed" }) });
    const got = await new Promise<SignalRow | null>((resolve) => {
      const waiter = { name, resolve: (row: SignalRow) => (clearTimeout(timer), resolve(row)) };
      const timer = setTimeout(() => {
        const list = waiters.get(workflowId) ?? [];
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
        resolve(null);
      }, timeout);
      waiters.set(workflowId, [...(waiters.get(workflowId) ?? []), waiter]);
    });
    return json(got ? { received: true, timedOut: false, waitedMs: Date.now() - started, signal: view(got) } : { received: false, timedOut: true, waitedMs: Date.now() - started, signal: null });
  }));
  const ByWorkflow = { workflowId: v.withDefault(q.string(), "") };
  router.get("/signals/pending", withQuery(ByWorkflow, ({ workflowId: wf }) => {
    const rows = all<SignalRow>(sql, "SELECT * FROM signals WHERE workflow_id = ? AND status = 'pending' ORDER BY seq LIMIT 1000", wf);
    return json({ workflowId: wf, signals: rows.map(view), count: rows.length });
  }));
  router.get("/signals/history", withQuery(ByWorkflow, ({ workflowId: wf }) => {
    const rows = all<SignalRow>(sql, "SELECT * FROM signals WHERE workflow_id = ? ORDER BY seq LIMIT 10000", wf);
    return json({ workflowId: wf, signals: rows.map(view), count: rows.length });
  }));
  router.post("/signals/clear", () => json({ cleared: sql.exec("SELECT COUNT(*) AS n FROM signals").one().n, ...(sql.exec("DELETE FROM signals"), {}) }));
}

export const signals: Feature = {
  name: "signals",
  serves: ["workflow"],
  schema: { migrations: [migrateSignals] },
  routes: signalRoutes,
};

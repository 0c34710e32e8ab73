import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { fail, isObject, json, readObject } from "../http";
import { all, first, parseJson } from "../sql";

// Signals on workflow.perf.do (contract §8): messages sent to a running workflow by name. A signal
// waits as pending until consumed (oldest first); `wait` holds the request open until a matching
// signal arrives or its timeout passes (the object keeps serving other requests meanwhile: a waiter
// is a promise the next `send` resolves); `cross-workflow` signals another workflow on behalf of one;
// `broadcast` sends one signal to many. History keeps every signal, consumed or not.

const MAX_WAIT_MS = 30_000;

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

function signalRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  // Waiters of this object instance, by workflow: resolved by the send that delivers their signal.
  const waiters = new Map<string, Array<{ name: string | null; resolve: (row: SignalRow) => void }>>();
  const takeOldest = (workflowId: string, name: string | null): SignalRow | undefined => {
    const row = first<SignalRow>(sql, `SELECT * FROM signals WHERE workflow_id = ? AND status = 'pending'${name ? " AND name = ?" : ""} ORDER BY seq LIMIT 1`, ...(name ? [workflowId, name] : [workflowId]));
    if (row) sql.exec("UPDATE signals SET status = 'consumed' WHERE id = ?", row.id);
    return row;
  };
  const send = (s: unknown, from: string | null = null): SignalRow | string => {
    if (!isObject(s) || typeof s.workflowId !== "string" || typeof s.name !== "string") return "a signal needs {workflowId, name, payload?}";
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

  router.post("/signals/send-batch", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const items = Array.isArray(body.signals) ? body.signals : [];
    if (items.length === 0 || items.length > 1000) return fail(400, "POST /signals/send-batch needs {signals: [{workflowId, name, payload?}]} (1–1,000)");
    const rows = ctx.transaction(() => items.map((s) => send(s)));
    const bad = rows.find((r) => typeof r === "string");
    return bad ? fail(400, bad as string) : json({ sent: rows.length, signalIds: (rows as SignalRow[]).map((r) => r.id) }, 201);
  });
  router.post("/signals/send", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const row = send(body);
    return typeof row === "string" ? fail(400, row) : json({ signalId: row.id, status: row.status }, 201);
  });
  router.post("/signals/cross-workflow", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (typeof body.fromWorkflowId !== "string" || typeof body.toWorkflowId !== "string") return fail(400, "needs {fromWorkflowId, toWorkflowId, name, payload?}");
    const row = send({ workflowId: body.toWorkflowId, name: body.name, payload: body.payload }, body.fromWorkflowId);
    return typeof row === "string" ? fail(400, row) : json({ signalId: row.id, from: body.fromWorkflowId, to: body.toWorkflowId }, 201);
  });
  router.post("/signals/broadcast", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const ids = Array.isArray(body.workflowIds) ? body.workflowIds.filter((w): w is string => typeof w === "string") : [];
    if (ids.length === 0 || typeof body.name !== "string") return fail(400, "needs {workflowIds: [...], name, payload?}");
    const rows = ctx.transaction(() => ids.map((workflowId) => send({ workflowId, name: body.name, payload: body.payload }) as SignalRow));
    return json({ delivered: rows.length, signalIds: rows.map((r) => r.id) }, 201);
  });
  router.post("/signals/consume", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (typeof body.workflowId !== "string") return fail(400, "needs {workflowId, name?}");
    const row = takeOldest(body.workflowId, typeof body.name === "string" ? body.name : null);
    return json(row ? { consumed: true, signal: view({ ...row, status: "consumed" }) } : { consumed: false, signal: null });
  });
  router.post("/signals/wait", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (typeof body.workflowId !== "string") return fail(400, "needs {workflowId, name?, timeout (ms)}");
    const workflowId = body.workflowId;
    const name = typeof body.name === "string" ? body.name : null;
    const timeout = Math.min(Math.max(Number(body.timeout ?? 1000) || 0, 0), MAX_WAIT_MS);
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
  });
  router.get("/signals/pending", (request) => {
    const wf = new URL(request.url).searchParams.get("workflowId") ?? "";
    const rows = all<SignalRow>(sql, "SELECT * FROM signals WHERE workflow_id = ? AND status = 'pending' ORDER BY seq LIMIT 1000", wf);
    return json({ workflowId: wf, signals: rows.map(view), count: rows.length });
  });
  router.get("/signals/history", (request) => {
    const wf = new URL(request.url).searchParams.get("workflowId") ?? "";
    const rows = all<SignalRow>(sql, "SELECT * FROM signals WHERE workflow_id = ? ORDER BY seq LIMIT 10000", wf);
    return json({ workflowId: wf, signals: rows.map(view), count: rows.length });
  });
  router.post("/signals/clear", () => json({ cleared: sql.exec("SELECT COUNT(*) AS n FROM signals").one().n, ...(sql.exec("DELETE FROM signals"), {}) }));
}

export const signals: Feature = {
  name: "signals",
  serves: ["workflow"],
  schema: { migrations: [migrateSignals] },
  routes: signalRoutes,
};

import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, changed, first, parseJson } from "../sql";
import { nextRun, parseCron } from "../workflow/cron";
import { levelsOf } from "../workflow/dag";
import { retryDelay, type RetryPolicy } from "../workflow/retry";
import { runSteps, type Step } from "../workflow/steps";

// Workflows on workflow.perf.do (contract §8): a workflow is a list of steps run in order on a value
// (`set`, `add`, `multiply`, `append`, `uppercase`, `fail`), recorded per execution; DAGs run their
// nodes in topological levels and refuse cycles; retries follow a fixed or exponential policy with
// optional full jitter (each delay drawn in [0, computed delay]); schedules are 5-field cron
// expressions (minute hour day-of-month month day-of-week; `*`, lists, ranges, steps; UTC) with the
// next run computed; a sensor is satisfied when a workflow's saved state has a key equal to a value;
// state can be saved, checkpointed (versioned) and replayed from a checkpoint.

function migrateWorkflows(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS wf_workflows (id TEXT PRIMARY KEY, name TEXT NOT NULL, steps TEXT NOT NULL, created_at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wf_executions (id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, status TEXT NOT NULL, output TEXT, error TEXT, at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wf_dags (id TEXT PRIMARY KEY, nodes TEXT NOT NULL, levels TEXT NOT NULL, status TEXT NOT NULL, done TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wf_schedules (id TEXT PRIMARY KEY, name TEXT, cron TEXT NOT NULL, created_at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wf_sensors (id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, key TEXT NOT NULL, equals TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wf_state (workflow_id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wf_checkpoints (id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL)");
}

const StepBody = v.object({ type: v.string(), name: v.optional(v.string()), value: v.optional(v.value()) });
const CreateBody = v.object({ name: v.optional(v.string()), workflowId: v.optional(v.string()), steps: v.optional(v.array(StepBody)) });
const ExecuteBody = v.object({ workflowId: v.string(), input: v.optional(v.value()) });
const ParallelBody = v.object({ executions: v.array(ExecuteBody, { min: 1 }) });
const DagBody = v.object({ nodes: v.array(v.object({ id: v.string(), dependsOn: v.optional(v.array(v.string())) }), { min: 1 }) });
const DagIdBody = v.object({ dagId: v.string() });
/** `?workflowId=` of a GET about one workflow. */
const ByWorkflow = { workflowId: v.withDefault(q.string(), "") };
const RetryBody = v.object({
  retryPolicy: v.optional(v.object({
    type: v.optional(v.literal("fixed", "exponential")),
    maxAttempts: v.optional(v.number({ integer: true, min: 1, max: 10 })),
    // A retry sleeps in the request: at most 9 waits of maxDelayMs, so one request waits 4.5 s at most.
    initialDelayMs: v.optional(v.number({ min: 0, max: 500 })),
    multiplier: v.optional(v.number({ min: 1, max: 10 })),
    maxDelayMs: v.optional(v.number({ min: 0, max: 500 })),
    jitter: v.optional(v.boolean()),
  })),
  // The activity fails this many times before it succeeds (a flaky dependency).
  failTimes: v.optional(v.number({ integer: true, min: 0 })),
});
const ScheduleBody = v.object({ cron: v.string(), name: v.optional(v.string()) });
const StateBody = v.object({ workflowId: v.string(), state: v.record() });
const WorkflowIdBody = v.object({ workflowId: v.string() });
const ReplayBody = v.object({ workflowId: v.string(), checkpointId: v.optional(v.string()) });
const SensorBody = v.object({ workflowId: v.string(), condition: v.object({ key: v.string(), equals: v.value() }) });

/** Workflows: create, execute (one or in parallel), executions. */
function runRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/workflows/create", withBody(CreateBody, (body) => {
    const steps: Step[] = body.steps ?? [];
    const id = body.workflowId ?? crypto.randomUUID();
    sql.exec("INSERT OR REPLACE INTO wf_workflows (id, name, steps, created_at) VALUES (?, ?, ?, ?)", id, body.name ?? id, JSON.stringify(steps), Date.now());
    return json({ workflowId: id, steps: steps.length }, 201);
  }));
  const execute = (workflowId: string, input: unknown) => {
    const wf = first<{ steps: string }>(sql, "SELECT steps FROM wf_workflows WHERE id = ?", workflowId);
    if (!wf) return null;
    const result = runSteps(parseJson(wf.steps) as Step[], input);
    const executionId = crypto.randomUUID();
    const ok = "output" in result;
    sql.exec("INSERT INTO wf_executions (id, workflow_id, status, output, error, at) VALUES (?, ?, ?, ?, ?, ?)", executionId, workflowId, ok ? "completed" : "failed", ok ? JSON.stringify(result.output ?? null) : null, ok ? null : result.error, Date.now());
    return { executionId, workflowId, status: ok ? "completed" : "failed", ...result };
  };
  router.post("/workflows/execute", withBody(ExecuteBody, ({ workflowId, input }) => {
    const r = execute(workflowId, input);
    return r ? json(r) : fail(404, `no workflow ${workflowId}`);
  }));
  router.post("/workflows/execute-parallel", withBody(ParallelBody, async ({ executions }) => {
    const results = await Promise.all(executions.map(async (r) => execute(r.workflowId, r.input) ?? { workflowId: r.workflowId, status: "not-found" }));
    return json({ results, completed: results.filter((r) => r.status === "completed").length });
  }));
  router.get("/workflows/executions", withQuery(ByWorkflow, ({ workflowId: wf }) => {
    const rows = all<{ id: string; status: string; output: string | null; error: string | null }>(sql, "SELECT * FROM wf_executions WHERE workflow_id = ? ORDER BY at, id", wf);
    return json({ workflowId: wf, executions: rows.map((r) => ({ executionId: r.id, status: r.status, output: r.output === null ? undefined : parseJson(r.output), error: r.error ?? undefined })) });
  }));

}

/** DAGs: nodes in topological levels (deploy/src/workflow/dag.ts). */
function dagRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/workflows/dag/create", withBody(DagBody, (body) => {
    const nodes = body.nodes.map((n) => ({ id: n.id, dependsOn: n.dependsOn ?? [] }));
    // Rules across nodes, not of one field: no cycle, no dependency on a node that is not there.
    const levels = levelsOf(nodes);
    if ("cycle" in levels) return fail(400, `the DAG has a cycle among ${levels.cycle.join(", ")}`);
    if ("unknown" in levels) return fail(400, levels.unknown);
    const id = crypto.randomUUID();
    sql.exec("INSERT INTO wf_dags (id, nodes, levels, status, done) VALUES (?, ?, ?, 'created', '[]')", id, JSON.stringify(nodes), JSON.stringify(levels));
    return json({ dagId: id, levels, nodes: nodes.length }, 201);
  }));
  router.post("/workflows/dag/start", withBody(DagIdBody, async ({ dagId }) => {
    const dag = first<{ id: string; levels: string }>(sql, "SELECT id, levels FROM wf_dags WHERE id = ?", dagId);
    if (!dag) return fail(404, `no DAG ${dagId}`);
    // Each level's nodes run together once the previous level is done; the order they finished in is kept.
    const done: string[] = [];
    for (const level of parseJson(dag.levels) as string[][]) done.push(...(await Promise.all(level.map(async (id) => id))));
    sql.exec("UPDATE wf_dags SET status = 'completed', done = ? WHERE id = ?", JSON.stringify(done), dag.id);
    return json({ dagId: dag.id, status: "completed", executed: done });
  }));
  router.get("/workflows/dag/status", withQuery({ dagId: v.withDefault(q.string(), "") }, ({ dagId }) => {
    const dag = first<{ id: string; levels: string; status: string; done: string }>(sql, "SELECT * FROM wf_dags WHERE id = ?", dagId);
    if (!dag) return fail(404, "no such DAG");
    const done = new Set(parseJson(dag.done) as string[]);
    const levels = parseJson(dag.levels) as string[][];
    return json({ dagId: dag.id, status: dag.status, levels, nodes: Object.fromEntries(levels.flat().map((id) => [id, done.has(id) ? "completed" : "pending"])) });
  }));

}

/** Retries under a fixed or exponential policy (deploy/src/workflow/retry.ts). */
function retryRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/workflows/retry/execute", withBody(RetryBody, async (body) => {
    const rp = body.retryPolicy;
    const policy: RetryPolicy = {
      type: rp?.type ?? "fixed",
      maxAttempts: rp?.maxAttempts ?? 3,
      initialDelayMs: rp?.initialDelayMs ?? 10,
      multiplier: rp?.multiplier ?? 2,
      maxDelayMs: rp?.maxDelayMs ?? 500,
      jitter: rp?.jitter === true,
    };
    const failures = body.failTimes ?? 0;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      if (attempt > failures) return json({ status: "completed", attempts: attempt, delays, policy });
      if (attempt === policy.maxAttempts) break;
      const d = retryDelay(policy, attempt);
      delays.push(d);
      await new Promise((r) => setTimeout(r, d));
    }
    return json({ status: "failed", attempts: policy.maxAttempts, delays, policy, error: `still failing after ${policy.maxAttempts} attempts` });
  }));

}

/** Cron schedules and their next runs (deploy/src/workflow/cron.ts). */
function scheduleRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/workflows/schedule/register", withBody(ScheduleBody, ({ cron, name }) => {
    // The expression's grammar is cron's, checked by its parser (a rule a schema does not state).
    const sets = parseCron(cron);
    if (typeof sets === "string") return fail(400, sets);
    const id = crypto.randomUUID();
    sql.exec("INSERT INTO wf_schedules (id, name, cron, created_at) VALUES (?, ?, ?, ?)", id, name ?? null, cron, Date.now());
    return json({ scheduleId: id, cron, nextRun: nextRun(sets, Date.now()) }, 201);
  }));
  // `after`: ms since the epoch (now when absent); `count`: 1 to 50 runs.
  const NextQuery = { scheduleId: v.withDefault(q.string(), ""), after: v.optional(q.int({ min: 0, max: 8.64e15 })), count: v.withDefault(q.int({ min: 1, max: 50 }), 1) };
  router.get("/workflows/schedule/next", withQuery(NextQuery, (query) => {
    const row = first<{ cron: string }>(sql, "SELECT cron FROM wf_schedules WHERE id = ?", query.scheduleId);
    if (!row) return fail(404, `no schedule ${query.scheduleId}`);
    const sets = parseCron(row.cron) as Array<Set<number>>;
    const after = query.after ?? Date.now();
    const count = query.count;
    const runs: number[] = [];
    for (let t = after; runs.length < count; ) {
      const n = nextRun(sets, t);
      if (n === null) break;
      runs.push(n);
      t = n;
    }
    return json({ scheduleId: query.scheduleId, cron: row.cron, nextRun: runs[0] ?? null, nextRuns: runs.map((r) => new Date(r).toISOString()) });
  }));

}

/** Saved state, checkpoints, replay, and sensors on the state. */
function stateRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const stateOf = (wf: string) => first<{ state: string; version: number }>(sql, "SELECT state, version FROM wf_state WHERE workflow_id = ?", wf);
  router.post("/workflows/state/save", withBody(StateBody, ({ workflowId, state }) => {
    const saved = stateOf(workflowId);
    const merged = { ...((saved ? parseJson(saved.state) : {}) as object), ...state };
    sql.exec("INSERT INTO wf_state (workflow_id, state, version) VALUES (?, ?, 1) ON CONFLICT(workflow_id) DO UPDATE SET state = excluded.state, version = wf_state.version + 1", workflowId, JSON.stringify(merged));
    return json({ workflowId, version: stateOf(workflowId)?.version, state: merged });
  }));
  router.get("/workflows/state/load", withQuery(ByWorkflow, ({ workflowId: wf }) => {
    const s = stateOf(wf);
    return json({ workflowId: wf, state: s ? parseJson(s.state) : null, version: s?.version ?? 0 });
  }));
  router.post("/workflows/state/checkpoint", withBody(WorkflowIdBody, ({ workflowId }) => {
    const s = stateOf(workflowId);
    if (!s) return fail(404, `no state for workflow ${workflowId}`);
    const id = crypto.randomUUID();
    sql.exec("INSERT INTO wf_checkpoints (id, workflow_id, version, state, at) VALUES (?, ?, ?, ?, ?)", id, workflowId, s.version, s.state, Date.now());
    return json({ checkpointId: id, version: s.version }, 201);
  }));
  router.post("/workflows/state/replay", withBody(ReplayBody, ({ workflowId: wf, checkpointId }) => {
    const cp = checkpointId !== undefined
      ? first<{ state: string; version: number }>(sql, "SELECT state, version FROM wf_checkpoints WHERE id = ? AND workflow_id = ?", checkpointId, wf)
      : first<{ state: string; version: number }>(sql, "SELECT state, version FROM wf_checkpoints WHERE workflow_id = ? ORDER BY at DESC, rowid DESC LIMIT 1", wf);
    if (!cp) return fail(404, `no checkpoint for workflow ${wf}`);
    sql.exec("INSERT INTO wf_state (workflow_id, state, version) VALUES (?, ?, ?) ON CONFLICT(workflow_id) DO UPDATE SET state = excluded.state, version = wf_state.version + 1", wf, cp.state, cp.version);
    return json({ workflowId: wf, state: parseJson(cp.state), replayedFromVersion: cp.version });
  }));
  router.post("/workflows/sensor/create", withBody(SensorBody, ({ workflowId, condition }) => {
    const id = crypto.randomUUID();
    sql.exec("INSERT INTO wf_sensors (id, workflow_id, key, equals) VALUES (?, ?, ?, ?)", id, workflowId, condition.key, JSON.stringify(condition.equals));
    return json({ sensorId: id }, 201);
  }));
  router.get("/workflows/sensor/check", withQuery({ sensorId: v.withDefault(q.string(), "") }, ({ sensorId }) => {
    const sensor = first<{ workflow_id: string; key: string; equals: string }>(sql, "SELECT * FROM wf_sensors WHERE id = ?", sensorId);
    if (!sensor) return fail(404, "no such sensor");
    const s = stateOf(sensor.workflow_id);
    const value = s ? (parseJson(s.state) as Record<string, unknown>)[sensor.key] : undefined;
    return json({ satisfied: JSON.stringify(value) === sensor.equals, value: value ?? null });
  }));

}

/** Clearing everything, or one group of tables. */
function clearRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const GROUPS: Record<string, string[]> = {
    dag: ["wf_dags"],
    retry: [],
    schedule: ["wf_schedules"],
    sensor: ["wf_sensors"],
    state: ["wf_state", "wf_checkpoints"],
  };
  router.post("/workflows/clear", () => json({ cleared: ctx.transaction(() => ["wf_workflows", "wf_executions", ...Object.values(GROUPS).flat()].reduce((n, t) => n + changed(sql, `DELETE FROM ${t}`), 0)) }));
  router.post("/workflows/:group/clear", (request) => {
    const tables = GROUPS[(request as Request & { params: Record<string, string> }).params.group ?? ""];
    if (!tables) return fail(404, `no workflow group ${(request as Request & { params: Record<string, string> }).params.group}`);
    return json({ cleared: ctx.transaction(() => tables.reduce((n, t) => n + changed(sql, `DELETE FROM ${t}`), 0)) });
  });
}

// The route groups, in the order their routes are tried (`/workflows/:group/clear` last).
function workflowRoutes(router: RouterType, ctx: FeatureContext): void {
  for (const routes of [runRoutes, dagRoutes, retryRoutes, scheduleRoutes, stateRoutes, clearRoutes]) routes(router, ctx);
}

export const workflows: Feature = {
  name: "workflows",
  serves: ["workflow"],
  schema: { migrations: [migrateWorkflows] },
  routes: workflowRoutes,
};

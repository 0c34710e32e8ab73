import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { type Infer, q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { fnv1a } from "../shard-routing";
import { first, parseJson } from "../sql";

// Activities on workflow.perf.do (contract §8): units of work a workflow calls. Local ones run in
// this object; remote ones run in another object, named (`targetDO`) or picked by shard key
// (`routing: {type: "shardKey", key}` → `<namespace>-worker-<n>` of WORKERS), over Durable Object
// RPC; parallel ones fan out to several objects at once. A long-running activity is alive while
// heartbeats arrive within its `heartbeatTimeoutMs`; cancelling it stops it for good.

const WORKERS = 4;
const ACTIVITIES = ["echo", "sum", "reverse", "hash"] as const;

const Target = { targetDO: v.optional(v.string({ min: 1 })), routing: v.optional(v.object({ type: v.literal("shardKey"), key: v.value() })) };
const Activity = { activity: v.optional(v.literal(...ACTIVITIES)), input: v.optional(v.value()) };
const LocalBody = v.object(Activity);
const RemoteBody = v.object({ ...Activity, ...Target });
const ParallelBody = v.object({ activities: v.array(RemoteBody, { min: 1, max: 50 }) });
const StartBody = v.object({ activityId: v.optional(v.string()), activity: v.optional(v.string()), heartbeatTimeoutMs: v.optional(v.number({ min: 1, max: 3_600_000 })) });
const HeartbeatBody = v.object({ activityId: v.string(), details: v.optional(v.value()) });
const ActivityIdBody = v.object({ activityId: v.string() });

/** What an activity does to its input: deterministic, so results can be checked. */
export function runActivity(activity: (typeof ACTIVITIES)[number] | string, input: unknown): unknown {
  switch (activity) {
    case "echo": return input;
    case "sum": return Array.isArray(input) ? input.reduce((s: number, x) => s + Number(x), 0) : Number(input);
    case "reverse": return typeof input === "string" ? [...input].reverse().join("") : Array.isArray(input) ? [...input].reverse() : input;
    case "hash": return fnv1a(JSON.stringify(input ?? null));
    default: throw new Error(`unknown activity ${activity} (echo, sum, reverse, hash)`);
  }
}

function migrateActivities(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS act_long (id TEXT PRIMARY KEY, activity TEXT NOT NULL, status TEXT NOT NULL, heartbeat_timeout_ms INTEGER NOT NULL,
    last_heartbeat INTEGER NOT NULL, heartbeats INTEGER NOT NULL, details TEXT, started_at INTEGER NOT NULL)`);
  sql.exec("CREATE TABLE IF NOT EXISTS act_runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, activity TEXT NOT NULL, at INTEGER NOT NULL)");
}

function activityRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const remote = (target: string, activity: string, input: unknown) =>
    ctx.peer(target).call<{ result: unknown; executedBy: string }>("activities", "run", { activity, input });
  /** The object a remote activity runs in: `targetDO`, or a worker picked by `routing`'s shard key. */
  const targetOf = (body: Infer<typeof RemoteBody>): string | null => {
    if (body.targetDO !== undefined) return body.targetDO;
    if (body.routing) return `${ctx.namespace()}-worker-${fnv1a(String(body.routing.key)) % WORKERS}`;
    return null;
  };

  router.post("/activities/execute-local", withBody(LocalBody, ({ activity = "echo", input }) => {
    const result = runActivity(activity, input);
    sql.exec("INSERT INTO act_runs (activity, at) VALUES (?, ?)", activity, Date.now());
    return json({ result, executedBy: ctx.namespace(), local: true });
  }));
  router.post("/activities/execute-remote", withBody(RemoteBody, async (body) => {
    // One of two fields names the object: a rule across fields.
    const target = targetOf(body);
    if (!target) return fail(400, "POST /activities/execute-remote needs targetDO or routing: {type: 'shardKey', key}");
    try {
      return json({ ...(await remote(target, body.activity ?? "echo", body.input)), local: false });
    } catch (err) {
      return fail(502, `activity on ${target} failed: ${(err as Error).message}`);
    }
  }));
  router.post("/activities/execute-parallel", withBody(ParallelBody, async ({ activities: items }) => {
    const results = await Promise.all(items.map(async (a, i) => {
      const target = targetOf(a) ?? `${ctx.namespace()}-worker-${i % WORKERS}`;
      try {
        return await remote(target, a.activity ?? "echo", a.input);
      } catch (err) {
        return { error: (err as Error).message, executedBy: target };
      }
    }));
    return json({ results, workers: new Set(results.map((r) => r.executedBy)).size });
  }));

  // ---- long-running --------------------------------------------------------------------------------
  type LongRow = { id: string; status: string; heartbeat_timeout_ms: number; last_heartbeat: number; heartbeats: number; details: string | null; [k: string]: SqlStorageValue };
  const statusOf = (row: LongRow, at = Date.now()) => (row.status === "running" && at - row.last_heartbeat > row.heartbeat_timeout_ms ? "timed-out" : row.status);
  router.post("/activities/start-long-running", withBody(StartBody, (body) => {
    const id = body.activityId ?? crypto.randomUUID();
    const timeout = body.heartbeatTimeoutMs ?? 30_000;
    const now = Date.now();
    sql.exec("INSERT OR REPLACE INTO act_long (id, activity, status, heartbeat_timeout_ms, last_heartbeat, heartbeats, details, started_at) VALUES (?, ?, 'running', ?, ?, 0, NULL, ?)", id, body.activity ?? "long", timeout, now, now);
    return json({ activityId: id, status: "running", heartbeatTimeoutMs: timeout }, 201);
  }));
  const longOf = (id: string) => first<LongRow>(sql, "SELECT * FROM act_long WHERE id = ?", id);
  router.post("/activities/heartbeat", withBody(HeartbeatBody, (body) => {
    const row = longOf(body.activityId);
    if (!row) return fail(404, `no activity ${body.activityId}`);
    const status = statusOf(row);
    // A heartbeat to a cancelled or timed-out activity tells the worker to stop.
    if (status !== "running") return json({ activityId: row.id, status, cancelRequested: status === "cancelled", accepted: false });
    sql.exec("UPDATE act_long SET last_heartbeat = ?, heartbeats = heartbeats + 1, details = ? WHERE id = ?", Date.now(), JSON.stringify(body.details ?? null), row.id);
    return json({ activityId: row.id, status: "running", accepted: true, heartbeats: row.heartbeats + 1 });
  }));
  router.post("/activities/cancel", withBody(ActivityIdBody, ({ activityId }) => {
    const row = longOf(activityId);
    if (!row) return fail(404, `no activity ${activityId}`);
    if (statusOf(row) === "running") sql.exec("UPDATE act_long SET status = 'cancelled' WHERE id = ?", row.id);
    return json({ activityId: row.id, status: statusOf(longOf(row.id) as LongRow) });
  }));
  router.get("/activities/is-alive", withQuery({ activityId: v.withDefault(q.string(), "") }, ({ activityId }) => {
    const row = longOf(activityId);
    if (!row) return fail(404, "no such activity");
    const status = statusOf(row);
    return json({ activityId: row.id, alive: status === "running", status, heartbeats: row.heartbeats, lastHeartbeatAgoMs: Date.now() - row.last_heartbeat, details: row.details === null ? null : parseJson(row.details) });
  }));
}

export const activities: Feature = {
  name: "activities",
  serves: ["workflow"],
  schema: { migrations: [migrateActivities] },
  routes: activityRoutes,
  rpc: {
    /** Runs an activity in this object for another (a remote activity's worker side). */
    run: (ctx, p: { activity: string; input: unknown }) => {
      const result = runActivity(p.activity, p.input);
      ctx.sql.exec("INSERT INTO act_runs (activity, at) VALUES (?, ?)", p.activity, Date.now());
      return { result, executedBy: ctx.namespace() };
    },
  },
};

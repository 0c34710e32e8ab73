import type { RouterType } from "itty-router";
import { q, s as v, whenBody, withBody, withInput, withQuery } from "../input";
import { fail, json } from "../http";
import { all, first, parseJson, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";
import { emit } from "./lifecycle";
import { UNCLAIMED } from "../namespaces";
import { HOME_COLO } from "../colos";

// Replication (contract §3) with a deterministic local lag model: one machine has no regions, so a
// replica is a named copy inside this object with a lag (`config.maxLagMs`, default 30 ms async; 0
// for sync). A write lands on the primary and is queued for each replica, due after its lag; reads
// apply whatever is due first, so a replica really trails the primary by its lag. Pause and simulated
// partitions hold a replica's queue back; failover promotes a replica to primary.

const DEFAULT_ASYNC_LAG_MS = 30;
const COLO = /^[A-Za-z]{3,4}$/;

interface ReplicaRow extends Row {
  id: string;
  region: string;
  mode: string;
  lag_ms: number;
  status: string;
  partitioned_until: number;
  applied: number;
}

export function migrateReplicate(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS repl_replicas (id TEXT PRIMARY KEY, region TEXT NOT NULL, mode TEXT NOT NULL, lag_ms INTEGER NOT NULL, status TEXT NOT NULL, partitioned_until INTEGER NOT NULL DEFAULT 0, applied INTEGER NOT NULL DEFAULT 0)");
  sql.exec("CREATE TABLE IF NOT EXISTS repl_primary (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL, written_at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS repl_values (replica_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (replica_id, key))");
  sql.exec("CREATE TABLE IF NOT EXISTS repl_queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, replica_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL, written_at INTEGER NOT NULL, due_at INTEGER NOT NULL)");
}

const healthy = (r: ReplicaRow, at: number): boolean => r.status === "active" && r.partitioned_until <= at;

/** Applies every due write to every replica that can take it (active, not partitioned). */
function applyDue(sql: SqlStorage, at = Date.now()): void {
  for (const r of all<ReplicaRow>(sql, "SELECT * FROM repl_replicas")) {
    if (!healthy(r, at)) continue;
    const due = all<{ seq: number; key: string; value: string; version: number }>(sql, "SELECT seq, key, value, version FROM repl_queue WHERE replica_id = ? AND due_at <= ? ORDER BY seq", r.id, at);
    for (const d of due) {
      sql.exec("INSERT INTO repl_values (replica_id, key, value, version) VALUES (?, ?, ?, ?) ON CONFLICT(replica_id, key) DO UPDATE SET value = excluded.value, version = excluded.version WHERE excluded.version >= repl_values.version", r.id, d.key, d.value, d.version);
      sql.exec("DELETE FROM repl_queue WHERE seq = ?", d.seq);
    }
    if (due.length > 0) sql.exec("UPDATE repl_replicas SET applied = applied + ? WHERE id = ?", due.length, r.id);
  }
}

/** Time since the oldest write this replica has not applied yet (0 when caught up). */
function lagMs(sql: SqlStorage, replicaId: string, at = Date.now()): number {
  const oldest = first<{ w: number | null }>(sql, "SELECT MIN(written_at) AS w FROM repl_queue WHERE replica_id = ?", replicaId)?.w;
  return oldest === null || oldest === undefined ? 0 : at - oldest;
}

function view(sql: SqlStorage, r: ReplicaRow, at = Date.now()) {
  return { id: r.id, replicaId: r.id, region: r.region, mode: r.mode, status: r.status, healthy: healthy(r, at), lagMs: lagMs(sql, r.id, at), configuredLagMs: r.lag_ms };
}

function write(sql: SqlStorage, key: string, value: unknown, waitFor: string | true | null): { version: number; replicated: string[] } {
  const at = Date.now();
  const version = (first<{ v: number }>(sql, "SELECT version AS v FROM repl_primary WHERE key = ?", key)?.v ?? 0) + 1;
  const text = JSON.stringify(value ?? null);
  sql.exec("INSERT INTO repl_primary (key, value, version, written_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version, written_at = excluded.written_at", key, text, version, at);
  const replicated: string[] = [];
  for (const r of all<ReplicaRow>(sql, "SELECT * FROM repl_replicas WHERE status != 'removed'")) {
    const immediate = r.mode === "sync" || waitFor === true || waitFor === r.id || waitFor === r.region;
    sql.exec("INSERT INTO repl_queue (replica_id, key, value, version, written_at, due_at) VALUES (?, ?, ?, ?, ?, ?)", r.id, key, text, version, at, immediate ? at : at + r.lag_ms);
    if (immediate && healthy(r, at)) replicated.push(r.id);
  }
  applyDue(sql, at);
  return { version, replicated };
}

const Mode = v.literal("async", "sync");
const Colo = v.string({ pattern: COLO, expected: "a 3–4 letter colo code" });
const Config = v.optional(v.object({ maxLagMs: v.optional(v.number({ min: 0, max: 60_000 })) }));
const CreateBody = v.object({ mode: Mode, replicaId: v.string({ min: 1 }), targetRegion: Colo, config: Config });
const MultiBody = v.object({ mode: Mode, regions: v.array(v.object({ colo: Colo, replicaId: v.string({ min: 1 }) }), { min: 1 }), config: Config });
const ReplicaBody = v.object({ replicaId: v.string() });
const RemoveBody = v.object({ replicaId: v.optional(v.string()) });
const WriteBody = v.object({ key: v.string(), value: v.value(), waitForReplica: v.optional(v.boolean()), targetReplica: v.optional(v.union(v.string(), v.boolean(), "a replica id or region, or true for every replica")) });
const WriteBatchBody = v.object({ items: v.array(v.object({ key: v.string(), value: v.optional(v.value()) }), { min: 1 }), waitForReplica: v.optional(v.boolean()) });
const ReadBatchBody = v.object({ keys: v.array(v.string()), source: v.optional(v.string()) });
const FailoverBody = v.object({ promoteReplica: v.string(), reason: v.optional(v.string()) });
const PartitionBody = v.object({ replicaId: v.string(), durationMs: v.optional(v.number({ min: 0, max: 600_000 })) });

/** A live replica by id, or the least-lagged one in a region. */
const replicaOf = (sql: SqlStorage, idOrRegion: string | null | undefined): ReplicaRow | undefined =>
  idOrRegion === null || idOrRegion === undefined ? undefined : first<ReplicaRow>(sql, "SELECT * FROM repl_replicas WHERE (id = ? OR region = ?) AND status != 'removed' ORDER BY lag_ms LIMIT 1", idOrRegion, idOrRegion.toUpperCase());

/** Adds (or re-adds) a replica, starting from the primary's current data. */
function createReplica(sql: SqlStorage, mode: "async" | "sync", replicaId: string, region: string, maxLagMs: number | undefined): ReplicaRow {
  const lag = mode === "sync" ? 0 : (maxLagMs ?? DEFAULT_ASYNC_LAG_MS);
  sql.exec("INSERT INTO repl_replicas (id, region, mode, lag_ms, status) VALUES (?, ?, ?, ?, 'active') ON CONFLICT(id) DO UPDATE SET region = excluded.region, mode = excluded.mode, lag_ms = excluded.lag_ms, status = 'active'", replicaId, region.toUpperCase(), mode, lag);
  sql.exec("INSERT INTO repl_values (replica_id, key, value, version) SELECT ?, key, value, version FROM repl_primary WHERE true ON CONFLICT(replica_id, key) DO UPDATE SET value = excluded.value, version = excluded.version", replicaId);
  emit(sql, "replica.created", { replicaId, region: region.toUpperCase(), mode });
  return first<ReplicaRow>(sql, "SELECT * FROM repl_replicas WHERE id = ?", replicaId) as ReplicaRow;
}

/** The replica set: create (one or several), pause, resume, remove, metrics, status. */
function replicaRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  router.post("/replicate/multi", withBody(MultiBody, (body) => {
    const made = transaction(() => body.regions.map((r) => createReplica(sql, body.mode, r.replicaId, r.colo, body.config?.maxLagMs)));
    return json({ replicas: made.map((r) => view(sql, r)) }, 201);
  }));
  router.post("/replicate/pause", withBody(ReplicaBody, ({ replicaId }) => {
    const r = replicaOf(sql, replicaId);
    if (!r) return fail(404, `no replica ${replicaId}`);
    sql.exec("UPDATE repl_replicas SET status = 'paused' WHERE id = ?", r.id);
    return json({ replicaId: r.id, status: "paused" });
  }));
  router.post("/replicate/resume", withBody(ReplicaBody, ({ replicaId }) => {
    const r = replicaOf(sql, replicaId);
    if (!r) return fail(404, `no replica ${replicaId}`);
    sql.exec("UPDATE repl_replicas SET status = 'active' WHERE id = ?", r.id);
    applyDue(sql);
    return json({ replicaId: r.id, status: "active", lagMs: lagMs(sql, r.id) });
  }));
  // The replica is named in the body or by `?replicaId=`.
  router.delete("/replicate/remove", withInput({ body: RemoveBody, query: { replicaId: v.optional(q.string()) } }, ({ body, query }) => {
    const id = body.replicaId ?? query.replicaId ?? null;
    const r = replicaOf(sql, id);
    if (!r) return fail(404, `no replica ${String(id)}`);
    transaction(() => {
      sql.exec("UPDATE repl_replicas SET status = 'removed' WHERE id = ?", r.id);
      sql.exec("DELETE FROM repl_queue WHERE replica_id = ?", r.id);
      sql.exec("DELETE FROM repl_values WHERE replica_id = ?", r.id);
    });
    return json({ replicaId: r.id, removed: true });
  }));
  router.get("/replicate/metrics", () => {
    applyDue(sql);
    const at = Date.now();
    const replicas = all<ReplicaRow>(sql, "SELECT * FROM repl_replicas WHERE status != 'removed'");
    const lags = replicas.map((r) => lagMs(sql, r.id, at));
    const applied = replicas.reduce((s, r) => s + r.applied, 0);
    return json({
      totalReplicas: replicas.length,
      healthyReplicas: replicas.filter((r) => healthy(r, at)).length,
      avgLagMs: lags.length > 0 ? lags.reduce((a, b) => a + b, 0) / lags.length : 0,
      maxLagMs: lags.length > 0 ? Math.max(...lags) : 0,
      replicationThroughput: applied,
    });
  });
  router.post("/replicate", withBody(CreateBody, (body) => json(view(sql, createReplica(sql, body.mode, body.replicaId, body.targetRegion, body.config?.maxLagMs)), 201)));
  router.get("/replica/status", withQuery({ replicaId: v.optional(q.string()) }, ({ replicaId }) => {
    applyDue(sql);
    const r = replicaOf(sql, replicaId ?? null);
    return r ? json(view(sql, r)) : fail(404, "no such replica");
  }));
  router.get("/replicas", () => {
    applyDue(sql);
    return json(all<ReplicaRow>(sql, "SELECT * FROM repl_replicas WHERE status != 'removed' ORDER BY id").map((r) => view(sql, r)));
  });
}

/** Writes to the primary, queued for each replica. */
function writeRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  // Replication writes are {key, value}; other bodies (the shard coordinator's {id, data}) fall through.
  router.post("/write", whenBody(WriteBody, (body) => {
    // `targetReplica: true` (perf.do's suite writes "directly to the replica" so) lands on every replica at once.
    const target = body.targetReplica === false ? undefined : body.targetReplica;
    const waitFor = body.waitForReplica === true || target === true ? (target ?? true) : null;
    const { version, replicated } = transaction(() => write(sql, body.key, body.value, waitFor));
    return json({ key: body.key, version, replicated }, 201);
  }));
  router.post("/write/batch", withBody(WriteBatchBody, ({ items, waitForReplica }) => {
    transaction(() => items.forEach((i) => write(sql, i.key, i.value, waitForReplica === true ? true : null)));
    return json({ written: items.length }, 201);
  }));
}

/** Where a read is served from (primary, a replica, the nearest), applying due writes first. */
function read(sql: SqlStorage, key: string, q: URLSearchParams): Response {
  applyDue(sql);
  const at = Date.now();
  const primary = () => {
    const row = first<{ value: string; version: number }>(sql, "SELECT value, version FROM repl_primary WHERE key = ?", key);
    return { value: row ? parseJson(row.value) : null, version: row?.version ?? 0 };
  };
  const wanted = q.get("replica") ?? (q.get("source") === "replica" ? (q.get("replicaId") ?? "") : null);
  const loadbalance = q.get("strategy") === "loadbalance";
  if (wanted === null && !loadbalance) {
    const p = primary();
    return json({ key, value: p.value, data: p.value, version: p.version, source: "primary", servedBy: "primary", lagMs: 0 });
  }
  const candidates = all<ReplicaRow>(sql, "SELECT * FROM repl_replicas WHERE status != 'removed' ORDER BY lag_ms, id");
  // "nearest" (and a bare source=replica) is the replica with the least lag; otherwise by id or colo.
  let r = wanted ? (replicaOf(sql, wanted) ?? (wanted === "" || wanted === "nearest" ? candidates[0] : undefined)) : candidates[Math.floor(Math.random() * (candidates.length + 1))];
  if (wanted === "primary") r = undefined;
  const failing = q.get("simulateReplicaFailure") === "true";
  if (r && (failing || !healthy(r, at))) {
    if (q.get("allowFallback") === "true" || q.get("autoFailover") === "true") {
      const p = primary();
      return json({ key, value: p.value, data: p.value, version: p.version, source: "primary", servedBy: "primary", fallback: true, failedOver: q.get("autoFailover") === "true", lagMs: 0 });
    }
    return fail(503, `replica ${r.id} is unavailable (pass allowFallback=true to read the primary)`);
  }
  if (!r) {
    const fallback = q.get("allowFallback") === "true" || q.get("autoFailover") === "true";
    if (wanted && wanted !== "primary" && fallback) {
      const p = primary();
      return json({ key, value: p.value, data: p.value, version: p.version, source: "primary", servedBy: "primary", fallback: true, failedOver: false, lagMs: 0 });
    }
    if (wanted && wanted !== "primary") return fail(404, `no replica ${wanted} (pass allowFallback=true to read the primary)`);
    const p = primary();
    return json({ key, value: p.value, data: p.value, version: p.version, source: "primary", servedBy: "primary", lagMs: 0 });
  }
  const row = first<{ value: string; version: number }>(sql, "SELECT value, version FROM repl_values WHERE replica_id = ? AND key = ?", r.id, key);
  const value = row ? parseJson(row.value) : null;
  return json({ key, value, data: value, version: row?.version ?? 0, source: "replica", servedBy: r.id, region: r.region, lagMs: lagMs(sql, r.id, at) });
}

/** What a read's query may say (read() reads them from the query string, declared here). */
const Flag = v.optional(q.bool());
const ReadQuery = {
  key: q.string({ min: 1, max: 1024 }), replica: v.optional(q.string()), replicaId: v.optional(q.string()), source: v.optional(q.oneOf("primary", "replica")),
  strategy: v.optional(q.string({ max: 64 })), simulateReplicaFailure: Flag, allowFallback: Flag, autoFailover: Flag,
};

/** Reads: one key (from where `?replica=` says), the nearest replica, a batch. */
function readRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.get("/read/nearest", withQuery(ReadQuery, (_query, request) => {
    const url = new URL(request.url);
    const key = _query.key;
    const nearest = first<ReplicaRow>(sql, "SELECT * FROM repl_replicas WHERE status = 'active' ORDER BY lag_ms, id LIMIT 1");
    const q = new URLSearchParams(url.search);
    if (nearest) q.set("replica", nearest.id);
    return read(sql, key, q);
  }));
  router.get("/read", withQuery(ReadQuery, (query, request) => read(sql, query.key, new URL(request.url).searchParams)));
  router.post("/read/batch", withBody(ReadBatchBody, async ({ keys, source }) => {
    const q = new URLSearchParams(source !== undefined && source !== "primary" ? { source: "replica" } : {});
    const results = await Promise.all(keys.map((k) => read(sql, k, q).json()));
    return json({ results });
  }));
}

/** Failures: promoting a replica to primary, a simulated network partition. */
function failureRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  // A replica named here that was never created is made first, in sync with the primary, and the
  // answer says so (`created: true`): perf.do's suite fails over to and partitions fresh names.
  const orCreate = (id: string): { r: ReplicaRow; created: boolean } => {
    const r = replicaOf(sql, id);
    return r ? { r, created: false } : { r: createReplica(sql, "sync", id, HOME_COLO, 0), created: true };
  };
  router.post("/failover", withBody(FailoverBody, ({ promoteReplica, reason }) => {
    const { r, created } = transaction(() => orCreate(promoteReplica));
    // The promoted replica's data becomes the primary's; it leaves the replica set.
    transaction(() => {
      sql.exec("DELETE FROM repl_primary");
      sql.exec("INSERT INTO repl_primary (key, value, version, written_at) SELECT key, value, version, ? FROM repl_values WHERE replica_id = ?", Date.now(), r.id);
      sql.exec("UPDATE repl_replicas SET status = 'removed' WHERE id = ?", r.id);
      sql.exec("DELETE FROM repl_queue WHERE replica_id = ?", r.id);
    });
    emit(sql, "replica.promoted", { replicaId: r.id, region: r.region, reason: reason ?? null });
    return json({ newPrimary: r.id, region: r.region, reason: reason ?? null, created });
  }));
  router.post("/simulate/partition", withBody(PartitionBody, ({ replicaId, durationMs = 1_000 }) => {
    const { r, created } = transaction(() => orCreate(replicaId));
    sql.exec("UPDATE repl_replicas SET partitioned_until = ? WHERE id = ?", Date.now() + durationMs, r.id);
    return json({ replicaId: r.id, partitionedForMs: durationMs, created });
  }));
}

// The route groups, in the order their routes are tried.
export function replicateRoutes(router: RouterType, ctx: FeatureContext): void {
  for (const routes of [replicaRoutes, writeRoutes, readRoutes, failureRoutes]) routes(router, ctx);
}

export const replicate: Feature = {
  name: "replicate",
  serves: [UNCLAIMED],
  schema: {
    migrations: [
      migrateReplicate,
      // v2: applying due writes and the lag look up a replica's queue by due time; with the 20K
      // writes of a reconciliation drill a scan per read is what a read would cost.
      (sql) => sql.exec("CREATE INDEX IF NOT EXISTS repl_queue_due ON repl_queue (replica_id, due_at)"),
    ],
  },
  uses: ["lifecycle"], // failover emits a lifecycle event
  shares: [{ route: "POST /write", with: "shard", how: "a body {key, value} is a replicated write; any other body falls through to the shard coordinator" }],
  routes: replicateRoutes,
};

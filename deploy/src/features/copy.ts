import type { RouterType } from "itty-router";
import { tokenState, tokenTtl } from "../clone-token";
import { s, withBody } from "../input";
import type { Infer } from "../schema";
import { fail, json, refuse } from "../http";
import { first, now, param, parseJson, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";
import { emit, exportSnapshot, getMeta, LOCAL_COLO, setMeta, type ImportRequest, type Snapshot, type SnapshotFilter } from "./lifecycle";
import { EVERY } from "../namespaces";

// Lifecycle operations that move or copy an object's state (contract §3): fork, move, and clone
// (atomic; staged with expiring tokens; eventual and resumable as jobs advanced by the object's
// alarm, resumable ones recording a checkpoint per chunk so they can pause and resume from one).

const NAMESPACE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const COLO = /^[A-Za-z]{3,4}$/;
const EVENTUAL_CHUNK = 100;

const progressOf = (cursor: number, total: number): number => (total === 0 ? 1 : cursor / total);

function checkpoint(sql: SqlStorage, jobId: string, cursor: number, total: number): string {
  const id = crypto.randomUUID();
  sql.exec("INSERT INTO clone_checkpoints (id, job_id, cursor, progress, created_at) VALUES (?, ?, ?, ?, ?)", id, jobId, cursor, progressOf(cursor, total), now());
  return id;
}


interface TokenRow extends Row {
  token: string;
  target_id: string;
  snapshot: string;
  status: string;
  expires_at: number;
}

interface JobRow extends Row {
  id: string;
  target_id: string;
  mode: string;
  status: string;
  snapshot: string;
  cursor: number;
  total: number;
  chunk: number;
  created_at: string;
}

export function migrateCopy(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS clone_tokens (token TEXT PRIMARY KEY, target_id TEXT NOT NULL, snapshot TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL)");
  sql.exec(`CREATE TABLE IF NOT EXISTS clone_jobs (id TEXT PRIMARY KEY, target_id TEXT NOT NULL, mode TEXT NOT NULL, status TEXT NOT NULL, snapshot TEXT NOT NULL,
    cursor INTEGER NOT NULL, total INTEGER NOT NULL, chunk INTEGER NOT NULL, created_at TEXT NOT NULL)`);
  sql.exec("CREATE TABLE IF NOT EXISTS clone_checkpoints (id TEXT PRIMARY KEY, job_id TEXT NOT NULL, cursor INTEGER NOT NULL, progress REAL NOT NULL, created_at TEXT NOT NULL)");
}

function filterOf(body: ForkInput): SnapshotFilter {
  return {
    include: body.filter?.include,
    exclude: body.filter?.exclude,
    tables: { include: body.tables?.include, exclude: body.tables?.exclude },
    shallow: body.shallow === true,
  };
}

async function sendSnapshot(ctx: FeatureContext, target: string, snapshot: Snapshot, kind: string): Promise<Response | null> {
  try {
    const req: ImportRequest = { snapshot, origin: ctx.namespace(), kind };
    await ctx.peer(target).call("lifecycle", "import", req);
    return null;
  } catch (err) {
    return fail(502, `copy to ${target} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function targetNamespace(value: unknown, self: string): string {
  if (typeof value !== "string" || !NAMESPACE.test(value)) return refuse(400, "the target must be a namespace label (a-z, 0-9, -)");
  if (value === self) return refuse(400, "the target must differ from the source namespace");
  return value;
}

const Filter = s.optional(s.object({ include: s.optional(s.array(s.string())), exclude: s.optional(s.array(s.string())) }));
const ForkBody = s.object({ namespace: s.optional(s.string()), id: s.optional(s.string()), asBranch: s.optional(s.boolean()), shallow: s.optional(s.boolean()), filter: Filter, tables: Filter });
const MoveBody = s.object({ colo: s.string({ pattern: COLO, expected: "a 3–4 letter colo code" }), testRunId: s.optional(s.string()) });
const PrepareBody = s.object({ targetId: s.string(), tokenTtl: s.optional(s.number({ positive: true })) });
const TokenBody = s.object({ token: s.string(), targetId: s.optional(s.string()) });
const JobBody = s.object({ jobId: s.string() });
const ResumeBody = s.object({ jobId: s.string(), checkpointId: s.optional(s.string()) });
const CleanupBody = s.object({ jobId: s.string(), deleteCheckpoints: s.optional(s.boolean()) });
const CloneBody = s.object({ mode: s.optional(s.literal("atomic", "eventual", "resumable")), targetId: s.string(), checkpointInterval: s.optional(s.number({ positive: true, integer: true })) });
type ForkInput = Infer<typeof ForkBody>;

export function copyRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/fork", withBody(ForkBody, async (input) => {
    const target = targetNamespace(input.namespace ?? input.id ?? `${ctx.namespace()}-fork-${crypto.randomUUID().slice(0, 8)}`, ctx.namespace());
    const snapshot = exportSnapshot(sql, filterOf(input));
    const failed = await sendSnapshot(ctx, target, snapshot, "fork");
    if (failed) return failed;
    emit(sql, "fork.completed", { target, asBranch: input.asBranch === true });
    return json({ forkUrl: `https://${target}.${ctx.baseDomain}`, namespace: target, copied: { state: snapshot.state.length, records: snapshot.records.length } }, 201);
  }));

  router.post("/move", withBody(MoveBody, (body) => {
    const sourceColo = getMeta(sql, "colo", LOCAL_COLO);
    const targetColo = body.colo.toUpperCase();
    emit(sql, "move.started", { sourceColo, targetColo, testRunId: body.testRunId });
    setMeta(sql, "colo", targetColo);
    emit(sql, "move.completed", { sourceColo, targetColo, testRunId: body.testRunId });
    return json({ moved: true, sourceColo, targetColo, status: "active" });
  }));

  router.post("/clone/prepare", withBody(PrepareBody, (input) => {
    const target = targetNamespace(input.targetId, ctx.namespace());
    const snapshot = exportSnapshot(sql);
    const token = crypto.randomUUID();
    const expiresAt = Date.now() + tokenTtl(input.tokenTtl);
    sql.exec("INSERT INTO clone_tokens (token, target_id, snapshot, status, expires_at) VALUES (?, ?, ?, 'pending', ?)", token, target, JSON.stringify(snapshot), expiresAt);
    return json({ token, targetId: target, expiresAt: new Date(expiresAt).toISOString(), snapshot: { state: snapshot.state.length, records: snapshot.records.length } });
  }));
  router.post("/clone/commit", withBody(TokenBody, async (input) => {
    const row = first<TokenRow>(sql, "SELECT * FROM clone_tokens WHERE token = ?", input.token);
    if (!row) return fail(404, "unknown clone token");
    const state = tokenState(row.status, row.expires_at, Date.now());
    if (state === "expired") return fail(410, `clone token expired at ${new Date(row.expires_at).toISOString()}; prepare again`);
    if (state !== "valid") return fail(409, `clone token was already ${state}`);
    if (input.targetId !== undefined && input.targetId !== row.target_id) return fail(409, `the token was prepared for ${row.target_id}`);
    const failed = await sendSnapshot(ctx, row.target_id, parseJson(row.snapshot) as Snapshot, "clone");
    if (failed) return failed;
    sql.exec("UPDATE clone_tokens SET status = 'committed' WHERE token = ?", row.token);
    emit(sql, "clone.completed", { target: row.target_id, mode: "staged" });
    return json({ committed: true, targetId: row.target_id, cloneUrl: `https://${row.target_id}.${ctx.baseDomain}` });
  }));
  router.post("/clone/abort", withBody(TokenBody, ({ token }) => {
    const aborted = sql.exec("UPDATE clone_tokens SET status = 'aborted' WHERE token = ? AND status = 'pending'", token).rowsWritten > 0;
    return aborted ? json({ aborted: true, token }) : fail(404, "no pending clone token to abort");
  }));

  router.get("/clone/status/:jobId", (request) => {
    const job = first<JobRow>(sql, "SELECT * FROM clone_jobs WHERE id = ?", param(request, "jobId"));
    if (!job) return fail(404, `no clone job ${param(request, "jobId")}`);
    return json({ jobId: job.id, targetId: job.target_id, mode: job.mode, status: job.status, progress: progressOf(job.cursor, job.total), copied: job.cursor, total: job.total });
  });
  router.get("/clone/checkpoints/:jobId", (request) => {
    const jobId = param(request, "jobId");
    if (!first(sql, "SELECT 1 AS x FROM clone_jobs WHERE id = ?", jobId)) return fail(404, `no clone job ${jobId}`);
    const rows = sql.exec<{ id: string; cursor: number; progress: number; created_at: string }>("SELECT * FROM clone_checkpoints WHERE job_id = ? ORDER BY cursor", jobId).toArray();
    return json({ jobId, checkpoints: rows.map((r) => ({ id: r.id, progress: r.progress, copied: r.cursor, createdAt: r.created_at })) });
  });
  router.post("/clone/pause", withBody(JobBody, ({ jobId }) => {
    const paused = sql.exec("UPDATE clone_jobs SET status = 'paused' WHERE id = ? AND mode = 'resumable' AND status IN ('pending', 'running')", jobId).rowsWritten > 0;
    if (!paused) return fail(409, `clone job ${jobId} is not a running resumable job`);
    const job = first<JobRow>(sql, "SELECT * FROM clone_jobs WHERE id = ?", jobId) as JobRow;
    return json({ jobId, status: "paused", progress: progressOf(job.cursor, job.total), checkpointId: checkpoint(sql, jobId, job.cursor, job.total) });
  }));
  router.post("/clone/resume", withBody(ResumeBody, async (body) => {
    const jobId = body.jobId;
    const job = first<JobRow>(sql, "SELECT * FROM clone_jobs WHERE id = ?", jobId);
    if (!job || job.mode !== "resumable") return fail(404, `no resumable clone job ${jobId}`);
    if (job.status !== "paused") return fail(409, `clone job ${jobId} is ${job.status}, not paused`);
    const from = body.checkpointId !== undefined ? first<{ cursor: number }>(sql, "SELECT cursor FROM clone_checkpoints WHERE id = ? AND job_id = ?", body.checkpointId, jobId) : { cursor: job.cursor };
    if (!from) return fail(404, `no checkpoint ${String(body.checkpointId)} for job ${jobId}`);
    sql.exec("UPDATE clone_jobs SET status = 'running', cursor = ? WHERE id = ?", from.cursor, jobId);
    await ctx.setAlarm(Date.now() + 10);
    return json({ jobId, status: "running", resumedFrom: progressOf(from.cursor, job.total) });
  }));
  router.post("/clone/cleanup", withBody(CleanupBody, (body) => {
    const jobId = body.jobId;
    const job = first<JobRow>(sql, "SELECT * FROM clone_jobs WHERE id = ?", jobId);
    if (!job) return fail(404, `no clone job ${jobId}`);
    if (job.status === "running" || job.status === "pending") return fail(409, `clone job ${jobId} is still ${job.status}; pause or cancel it first`);
    const deleted = body.deleteCheckpoints === false ? 0 : sql.exec("DELETE FROM clone_checkpoints WHERE job_id = ?", jobId).rowsWritten;
    sql.exec("UPDATE clone_jobs SET snapshot = '{\"state\":[],\"records\":[],\"counter\":0}' WHERE id = ?", jobId);
    return json({ jobId, cleaned: true, checkpointsDeleted: deleted });
  }));
  router.post("/clone/cancel", withBody(JobBody, ({ jobId }) => {
    const cancelled = sql.exec("UPDATE clone_jobs SET status = 'cancelled' WHERE id = ? AND status IN ('pending', 'running')", jobId).rowsWritten > 0;
    return cancelled ? json({ jobId, status: "cancelled" }) : fail(409, `clone job ${jobId} is not running`);
  }));
  router.post("/clone", withBody(CloneBody, async (input) => {
    const mode = input.mode ?? "atomic";
    const target = targetNamespace(input.targetId, ctx.namespace());
    if (mode === "atomic") {
      const failed = await sendSnapshot(ctx, target, exportSnapshot(sql), "clone");
      if (failed) return failed;
      emit(sql, "clone.completed", { target, mode });
      return json({ mode, targetId: target, status: "completed", cloneUrl: `https://${target}.${ctx.baseDomain}` }, 201);
    }
    if (mode === "eventual" || mode === "resumable") {
      const snapshot = exportSnapshot(sql);
      const id = crypto.randomUUID();
      const interval = input.checkpointInterval;
      const chunk = mode === "resumable" && interval !== undefined ? Math.min(interval, 10_000) : EVENTUAL_CHUNK;
      sql.exec(
        "INSERT INTO clone_jobs (id, target_id, mode, status, snapshot, cursor, total, chunk, created_at) VALUES (?, ?, ?, 'pending', ?, 0, ?, ?, ?)",
        id, target, mode, JSON.stringify(snapshot), snapshot.records.length, chunk, now(),
      );
      await ctx.setAlarm(Date.now() + 10);
      if (mode === "eventual") return json({ jobId: id, status: "pending", targetId: target }, 202);
      return json({ jobId: id, status: "pending", targetId: target, checkpointId: checkpoint(sql, id, 0, snapshot.records.length), progress: 0 }, 202);
    }
    return fail(400, "mode must be atomic, eventual or resumable (staged clones use /clone/prepare)");
  }));
}

/**
 * One step of every running eventual clone: state and the counter go first, then records in
 * chunks. Returns true while work remains, so the object re-arms its alarm.
 */
async function advanceCloneJobs(sql: SqlStorage, ctx: FeatureContext): Promise<boolean> {
  const jobs = sql.exec<JobRow>("SELECT * FROM clone_jobs WHERE status IN ('pending', 'running')").toArray();
  for (const job of jobs) {
    const snapshot = parseJson(job.snapshot) as Snapshot;
    const chunk: Snapshot = {
      state: job.cursor === 0 ? snapshot.state : [],
      records: snapshot.records.slice(job.cursor, job.cursor + job.chunk),
      counter: snapshot.counter,
    };
    const failed = await sendSnapshot(ctx, job.target_id, chunk, "clone");
    // A cancel that arrived while the chunk was in flight wins.
    const current = first<{ status: string }>(sql, "SELECT status FROM clone_jobs WHERE id = ?", job.id)?.status;
    if (current === "cancelled" || current === "paused") continue;
    if (failed) {
      sql.exec("UPDATE clone_jobs SET status = 'failed' WHERE id = ?", job.id);
      continue;
    }
    const cursor = Math.min(job.cursor + job.chunk, job.total);
    const done = cursor >= job.total;
    sql.exec("UPDATE clone_jobs SET cursor = ?, status = ? WHERE id = ?", cursor, done ? "completed" : "running", job.id);
    if (job.mode === "resumable") checkpoint(sql, job.id, cursor, job.total);
    if (done) emit(sql, "clone.completed", { target: job.target_id, mode: job.mode, jobId: job.id });
  }
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM clone_jobs WHERE status IN ('pending', 'running')").one().n > 0;
}

export const copy: Feature = {
  name: "copy",
  serves: [EVERY],
  schema: { migrations: [migrateCopy] },
  compact: (sql, keep) => {
    const empty = JSON.stringify({ state: [], records: [], counter: 0 });
    return {
      jobSnapshots: sql.exec("UPDATE clone_jobs SET snapshot = ? WHERE status IN ('completed', 'cancelled', 'failed') AND snapshot != ?", empty, empty).rowsWritten,
      checkpoints: sql.exec("DELETE FROM clone_checkpoints WHERE job_id IN (SELECT id FROM clone_jobs WHERE status IN ('completed', 'cancelled', 'failed'))").rowsWritten,
      cloneTokens: sql.exec("DELETE FROM clone_tokens WHERE status != 'pending' OR expires_at < ?", keep.now).rowsWritten,
    };
  },
  uses: ["lifecycle"], // what is copied is the lifecycle state
  routes: copyRoutes,
  // Eventual clones advance one chunk per alarm until done.
  alarm: async (ctx) => ((await advanceCloneJobs(ctx.sql, ctx)) ? Date.now() + 10 : null),
};

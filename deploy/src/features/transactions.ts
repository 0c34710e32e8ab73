import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s, s as v, withBody, withQuery } from "../input";
import { fail, json, refuse } from "../http";
import { changed, all, first, param, parseJson } from "../sql";

// Transactions on streaming.perf.do (contract §7), the exactly-once toolkit of a stream processor:
// - transactions: begin, add records (staged, invisible), commit (visible, once) or abort (gone);
// - dedup: a message id is processed once (`dedup/process`), and `dedup/idempotent` with an
//   `Idempotency-Key` header runs once and answers every repeat with the first answer;
// - checkpoints: a snapshot of committed output and offsets to restore from; a barrier is complete
//   when every named operator has acknowledged it;
// - two-phase commit across objects: `2pc/prepare` asks each participant (another namespace's
//   object, over Durable Object RPC) to prepare; `2pc/commit` commits only if all voted yes, else
//   aborts everywhere.

function migrateTransactions(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS tx_transactions (id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER)");
  sql.exec("CREATE TABLE IF NOT EXISTS tx_staged (seq INTEGER PRIMARY KEY AUTOINCREMENT, tx TEXT NOT NULL, record TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS tx_output (seq INTEGER PRIMARY KEY AUTOINCREMENT, tx TEXT NOT NULL, record TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS tx_dedup (id TEXT PRIMARY KEY, response TEXT, at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS tx_checkpoints (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS tx_barriers (id TEXT NOT NULL, operator TEXT NOT NULL, acked INTEGER NOT NULL, PRIMARY KEY (id, operator))");
  sql.exec("CREATE TABLE IF NOT EXISTS tx_2pc (id TEXT PRIMARY KEY, participants TEXT NOT NULL, status TEXT NOT NULL, votes TEXT NOT NULL)");
  // The participant side of 2PC: what this object prepared for a coordinator.
  sql.exec("CREATE TABLE IF NOT EXISTS tx_prepared (id TEXT PRIMARY KEY, data TEXT NOT NULL, status TEXT NOT NULL)");
}

interface Participant {
  id: string;
  data?: unknown;
  /** Test hook: this participant votes no. */
  voteNo?: boolean;
}

const TxId = s.object({ transactionId: s.optional(s.string()) });
const Open = s.object({ transactionId: s.string() });
const AddRecord = s.object({ transactionId: s.string(), records: s.optional(s.array(s.value(), { min: 1 })), record: s.optional(s.value()) });
const Dedup = s.object({ messageId: s.optional(s.string()), id: s.optional(s.string()), data: s.optional(s.value()) });
const BatchCheck = s.object({ ids: s.array(s.string()) });
const CheckpointCreate = s.object({ checkpointId: s.optional(s.string()), offsets: s.optional(s.value()), state: s.optional(s.value()) });
const CheckpointId = s.object({ checkpointId: s.string() });
const Barrier = s.object({ barrierId: s.string(), operators: s.optional(s.array(s.string())), operator: s.optional(s.string()) });
const ParticipantSchema = s.union(s.string({ min: 1 }), s.object({ id: s.string({ min: 1 }), data: s.optional(s.value()), voteNo: s.optional(s.boolean()) }), "a participant name or {id, data?}");
const Prepare = s.object({ transactionId: s.optional(s.string()), participants: s.array(ParticipantSchema, { min: 1 }) });

/** Transactions: begin, stage records, commit or abort, and the committed output. */
function txRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const status = (id: string): string | undefined => first<{ status: string }>(sql, "SELECT status FROM tx_transactions WHERE id = ?", id)?.status;
  const needOpen = (id: string): string => {
    const current = status(id);
    if (!current) return refuse(404, `no transaction ${id}`);
    if (current !== "open") return refuse(409, `transaction ${id} is ${current}`);
    return id;
  };

  router.post("/transactions/begin", withBody(TxId, (body) => {
    const id = body.transactionId ?? crypto.randomUUID();
    if (status(id)) return fail(409, `transaction ${id} exists`);
    sql.exec("INSERT INTO tx_transactions (id, status, created_at) VALUES (?, 'open', ?)", id, Date.now());
    return json({ transactionId: id, status: "open" }, 201);
  }));
  router.post("/transactions/add-record", withBody(AddRecord, (body) => {
    // One of two fields, not a shape: a rule of this route.
    const records = body.records ?? (body.record !== undefined ? [body.record] : []);
    if (records.length === 0) return fail(400, "POST /transactions/add-record: record or records: required");
    const id = needOpen(body.transactionId);
    ctx.transaction(() => records.forEach((r) => sql.exec("INSERT INTO tx_staged (tx, record) VALUES (?, ?)", id, JSON.stringify(r))));
    return json({ transactionId: id, staged: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM tx_staged WHERE tx = ?", id)?.n ?? 0 });
  }));
  router.post("/transactions/commit", withBody(Open, (body) => {
    const id = needOpen(body.transactionId);
    const n = ctx.transaction(() => {
      const moved = changed(sql, "INSERT INTO tx_output (tx, record) SELECT tx, record FROM tx_staged WHERE tx = ? ORDER BY seq", id);
      sql.exec("DELETE FROM tx_staged WHERE tx = ?", id);
      sql.exec("UPDATE tx_transactions SET status = 'committed', finished_at = ? WHERE id = ?", Date.now(), id);
      return moved;
    });
    return json({ transactionId: id, status: "committed", records: n });
  }));
  router.post("/transactions/abort", withBody(Open, (body) => {
    const id = needOpen(body.transactionId);
    const n = ctx.transaction(() => {
      const dropped = changed(sql, "DELETE FROM tx_staged WHERE tx = ?", id);
      sql.exec("UPDATE tx_transactions SET status = 'aborted', finished_at = ? WHERE id = ?", Date.now(), id);
      return dropped;
    });
    return json({ transactionId: id, status: "aborted", discarded: n });
  }));
  router.get("/transactions/status/:id", (request) => {
    const id = param(request, "id");
    const s = status(id);
    if (!s) return fail(404, `no transaction ${id}`);
    const n = (t: string) => first<{ n: number }>(sql, `SELECT COUNT(*) AS n FROM ${t} WHERE tx = ?`, id)?.n ?? 0;
    return json({ transactionId: id, status: s, staged: n("tx_staged"), committed: n("tx_output") });
  });
  router.get("/transactions/output", () => {
    const rows = all<{ seq: number; tx: string; record: string }>(sql, "SELECT * FROM tx_output ORDER BY seq LIMIT 10000");
    return json({ records: rows.map((r) => ({ seq: r.seq, transactionId: r.tx, record: parseJson(r.record) })), count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM tx_output")?.n ?? 0 });
  });
}

/** Dedup: a message id processed once; an Idempotency-Key answered with its first answer. */
function dedupRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  /** True when `id` is new (and now recorded); false for a duplicate. */
  const firstTime = (id: string, response: unknown = null): boolean =>
    // Fault switch (local only): forget every id, so duplicates are processed again.
    ctx.fault === "dedup-forgets" || changed(sql, "INSERT OR IGNORE INTO tx_dedup (id, response, at) VALUES (?, ?, ?)", id, response === null ? null : JSON.stringify(response), Date.now()) === 1;
  router.post("/transactions/dedup/process", withBody(Dedup, (body) => {
    const id = body.messageId ?? body.id;
    if (!id) return fail(400, "POST /transactions/dedup/process: messageId (or id): required");
    const fresh = firstTime(id);
    return json({ messageId: id, processed: fresh, duplicate: !fresh });
  }));
  router.post("/transactions/dedup/idempotent", withBody(s.value(), (body, request) => {
    const key = request.headers.get("idempotency-key");
    if (!key) return fail(400, "POST /transactions/dedup/idempotent: the Idempotency-Key header: required");
    const stored = ctx.fault === "dedup-forgets" ? undefined : first<{ response: string | null }>(sql, "SELECT response FROM tx_dedup WHERE id = ?", `idem:${key}`);
    if (stored?.response) return json({ ...(parseJson(stored.response) as object), replayed: true }, 200, { "idempotent-replayed": "true" });
    const response = { idempotencyKey: key, result: body, processedAt: Date.now(), processingId: crypto.randomUUID() };
    firstTime(`idem:${key}`, response);
    return json({ ...response, replayed: false }, 201);
  }));
  router.post("/transactions/dedup/batch-check", withBody(BatchCheck, ({ ids }) => {
    const seen = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const part = ids.slice(i, i + 100);
      for (const r of all<{ id: string }>(sql, `SELECT id FROM tx_dedup WHERE id IN (${part.map(() => "?").join(",")})`, ...part)) seen.add(r.id);
    }
    return json({ seen: ids.filter((i) => seen.has(i)), unseen: ids.filter((i) => !seen.has(i)) });
  }));
  router.get("/transactions/dedup/check/:id", (request) => json({ messageId: param(request, "id"), seen: first(sql, "SELECT 1 AS x FROM tx_dedup WHERE id = ?", param(request, "id")) !== undefined }));
}

/** Checkpoints of committed output and offsets, and barriers acknowledged by operators. */
function checkpointRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/transactions/checkpoint/create", withBody(CheckpointCreate, (body) => {
    const id = body.checkpointId ?? crypto.randomUUID();
    const seq = first<{ s: number | null }>(sql, "SELECT MAX(seq) AS s FROM tx_output")?.s ?? 0;
    sql.exec("INSERT OR REPLACE INTO tx_checkpoints (id, seq, state, at) VALUES (?, ?, ?, ?)", id, seq, JSON.stringify({ offsets: body.offsets ?? {}, state: body.state ?? null }), Date.now());
    return json({ checkpointId: id, outputSeq: seq }, 201);
  }));
  router.post("/transactions/checkpoint/restore", withBody(CheckpointId, (body) => {
    const cp = first<{ id: string; seq: number; state: string }>(sql, "SELECT * FROM tx_checkpoints WHERE id = ?", body.checkpointId);
    if (!cp) return fail(404, `no checkpoint ${body.checkpointId}`);
    // Output committed after the checkpoint is rolled back: a replay from its offsets rewrites it.
    const rolledBack = changed(sql, "DELETE FROM tx_output WHERE seq > ?", cp.seq);
    return json({ checkpointId: cp.id, ...(parseJson(cp.state) as object), rolledBack });
  }));
  router.get("/transactions/checkpoint/latest", () => {
    const cp = first<{ id: string; seq: number; state: string; at: number }>(sql, "SELECT * FROM tx_checkpoints ORDER BY at DESC, rowid DESC LIMIT 1");
    return cp ? json({ checkpointId: cp.id, outputSeq: cp.seq, at: cp.at, ...(parseJson(cp.state) as object) }) : json({ checkpointId: null });
  });
  router.post("/transactions/checkpoint/barrier", withBody(Barrier, (body) => {
    const id = body.barrierId;
    ctx.transaction(() => {
      for (const op of body.operators ?? []) sql.exec("INSERT OR IGNORE INTO tx_barriers (id, operator, acked) VALUES (?, ?, 0)", id, op);
      if (body.operator !== undefined) sql.exec("INSERT INTO tx_barriers (id, operator, acked) VALUES (?, ?, 1) ON CONFLICT(id, operator) DO UPDATE SET acked = 1", id, body.operator);
    });
    const rows = all<{ operator: string; acked: number }>(sql, "SELECT operator, acked FROM tx_barriers WHERE id = ? ORDER BY operator", id);
    const pending = rows.filter((r) => r.acked === 0).map((r) => r.operator);
    return json({ barrierId: id, acknowledged: rows.filter((r) => r.acked === 1).map((r) => r.operator), pending, aligned: rows.length > 0 && pending.length === 0 });
  }));
}

/** Two-phase commit across objects (participants over RPC), and clearing everything. */
function twoPhaseRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/transactions/2pc/prepare", withBody(Prepare, async (body) => {
    const id = body.transactionId ?? crypto.randomUUID();
    const ps: Participant[] = body.participants.map((p) => (typeof p === "string" ? { id: p } : { id: p.id, data: p.data, voteNo: p.voteNo === true }));
    const votes = await Promise.all(ps.map(async (p) => {
      try {
        return await ctx.peer(`${ctx.namespace()}-2pc-${p.id}`).call<boolean>("transactions", "prepare", { transactionId: id, data: p.data ?? null, voteNo: p.voteNo === true });
      } catch {
        return false; // an unreachable participant votes no
      }
    }));
    sql.exec("INSERT OR REPLACE INTO tx_2pc (id, participants, status, votes) VALUES (?, ?, 'prepared', ?)", id, JSON.stringify(ps.map((p) => p.id)), JSON.stringify(votes));
    return json({ transactionId: id, prepared: votes.every(Boolean), votes: Object.fromEntries(ps.map((p, i) => [p.id, votes[i] ? "yes" : "no"])) });
  }));
  router.post("/transactions/2pc/commit", withBody(Open, async (body) => {
    const row = first<{ id: string; participants: string; status: string; votes: string }>(sql, "SELECT * FROM tx_2pc WHERE id = ?", body.transactionId);
    if (!row) return fail(404, `no prepared transaction ${body.transactionId}`);
    if (row.status !== "prepared") return json({ transactionId: row.id, status: row.status });
    const commit = (parseJson(row.votes) as boolean[]).every(Boolean);
    const outcome = commit ? "committed" : "aborted";
    await Promise.all((parseJson(row.participants) as string[]).map((p) => ctx.peer(`${ctx.namespace()}-2pc-${p}`).call("transactions", "finish", { transactionId: row.id, outcome })));
    sql.exec("UPDATE tx_2pc SET status = ? WHERE id = ?", outcome, row.id);
    return json({ transactionId: row.id, status: outcome, participants: (parseJson(row.participants) as string[]).length });
  }));
  router.get("/transactions/2pc/participant", withQuery({ transactionId: v.optional(q.string()) }, ({ transactionId }) => {
    const row = first<{ status: string; data: string }>(sql, "SELECT status, data FROM tx_prepared WHERE id = ?", transactionId ?? "");
    return json({ transactionId: transactionId ?? null, status: row?.status ?? null, data: row ? parseJson(row.data) : null });
  }));
  router.post("/transactions/clear", () =>
    json({ cleared: ctx.transaction(() => ["tx_transactions", "tx_staged", "tx_output", "tx_dedup", "tx_checkpoints", "tx_barriers", "tx_2pc", "tx_prepared"].reduce((n, t) => n + changed(sql, `DELETE FROM ${t}`), 0)) }),
  );
}

// The route groups, in the order their routes are tried.
function transactionRoutes(router: RouterType, ctx: FeatureContext): void {
  for (const routes of [txRoutes, dedupRoutes, checkpointRoutes, twoPhaseRoutes]) routes(router, ctx);
}

export const transactions: Feature = {
  name: "transactions",
  serves: ["streaming"],
  schema: { migrations: [migrateTransactions] },
  routes: transactionRoutes,
  rpc: {
    /** Participant side of 2PC: records the prepared data and votes. */
    prepare: (ctx, p: { transactionId: string; data: unknown; voteNo: boolean }) => {
      if (p.voteNo) return false;
      ctx.sql.exec("INSERT OR REPLACE INTO tx_prepared (id, data, status) VALUES (?, ?, 'prepared')", p.transactionId, JSON.stringify(p.data));
      return true;
    },
    finish: (ctx, p: { transactionId: string; outcome: string }) => {
      ctx.sql.exec("UPDATE tx_prepared SET status = ? WHERE id = ?", p.outcome, p.transactionId);
      return true;
    },
  },
};

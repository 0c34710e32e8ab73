import type { RouterType } from "itty-router";
import { tokenState, tokenTtl } from "../clone-token";
import { s as v, whenBody, withBody, type Infer } from "../input";
import { fail, json } from "../http";
import { all, first, now, param, parseJson, type Row } from "../sql";
import { emit } from "./lifecycle";
import { historyOf } from "../entity-history";
import { deleteThing, getThingData, putThing } from "./things";
import type { Feature, FeatureContext } from "../feature";
import { UNCLAIMED } from "../namespaces";

// promote.perf.do / demote.perf.do (contract §3): a passive thing becomes an active object and back.
// History is kept across both moves (`preserveHistory`, `historyLimit`); both have prepare → commit
// (or abort) with expiring tokens. The things store's `POST /things` creates the thing; demoting
// writes it back there, so `GET /things/:id` shows the data and the history.

interface ActiveRow extends Row {
  id: string;
  type: string;
  data: string;
  alarm: string | null;
  created_at: string;
  updated_at: string;
}

interface TokenRow extends Row {
  token: string;
  entity_id: string;
  kind: string;
  status: string;
  expires_at: number;
}

export function migratePromote(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS active_objects (id TEXT PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, alarm TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS entity_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL, at TEXT NOT NULL)");
  sql.exec("CREATE INDEX IF NOT EXISTS entity_history_id ON entity_history (id, seq)");
  sql.exec("CREATE TABLE IF NOT EXISTS entity_tokens (token TEXT PRIMARY KEY, entity_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL)");
}


function record(sql: SqlStorage, id: string, event: string, data: unknown = {}): void {
  sql.exec("INSERT INTO entity_history (id, event, data, at) VALUES (?, ?, ?, ?)", id, event, JSON.stringify(data ?? {}), now());
}

const active = (sql: SqlStorage, id: string): ActiveRow | undefined => first<ActiveRow>(sql, "SELECT * FROM active_objects WHERE id = ?", id);

function activate(sql: SqlStorage, id: string, type: string, data: unknown): void {
  const at = now();
  sql.exec("INSERT INTO active_objects (id, type, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", id, type, JSON.stringify(data ?? {}), at, at);
}

// One body for both directions and all their steps: promote reads the first five, demote archive and
// cleanup, prepare tokenTtl, commit and abort the token.
const MoveOptions = v.object({
  mode: v.optional(v.string()),
  preserveHistory: v.optional(v.boolean()),
  historyLimit: v.optional(v.number({ integer: true, min: 0 })),
  scheduleAlarm: v.optional(v.object({ after: v.optional(v.number({ min: 0 })), action: v.optional(v.value()) })),
  onInit: v.optional(v.value()),
  tokenTtl: v.optional(v.number({ positive: true })),
  token: v.optional(v.string()),
  archive: v.optional(v.value()),
  cleanup: v.optional(v.value()),
});
type Options = Infer<typeof MoveOptions>;
const HistoryEntry = v.object({ event: v.string(), data: v.optional(v.value()) });
const HistoryBatch = v.object({ entries: v.array(v.object({ event: v.optional(v.string()), data: v.optional(v.value()) })) });
// An active object: a string id and no `ns` (the objects registry's bodies have one).
const NewObject = v.object({ id: v.string(), ns: v.absent(), type: v.optional(v.string()), data: v.optional(v.value()) });
const PromoteBody = v.object({ entity: v.string({ min: 1 }), id: v.string({ min: 1 }), data: v.optional(v.value()) });
const ActionBody = v.object({ action: v.string(), value: v.optional(v.value()) });
const IncrementBody = v.object({ amount: v.optional(v.number()) });

export function promoteRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;

  const promote = (id: string, opts: Options): Response => {
    const thing = getThingData(sql, id);
    if (!thing) return active(sql, id) ? fail(409, `${id} is already an active object`) : fail(404, `thing ${id} not found`);
    const alarm = opts.scheduleAlarm ? { at: new Date(Date.now() + (opts.scheduleAlarm.after ?? 0)).toISOString(), action: opts.scheduleAlarm.action ?? null } : null;
    transaction(() => {
      if (opts.preserveHistory === false) sql.exec("DELETE FROM entity_history WHERE id = ?", id);
      else if (opts.historyLimit !== undefined) {
        sql.exec("DELETE FROM entity_history WHERE id = ? AND seq NOT IN (SELECT seq FROM entity_history WHERE id = ? ORDER BY seq DESC LIMIT ?)", id, id, opts.historyLimit);
      }
      activate(sql, id, thing.type, thing.data);
      if (alarm) sql.exec("UPDATE active_objects SET alarm = ? WHERE id = ?", JSON.stringify(alarm), id);
      deleteThing(sql, id);
      record(sql, id, "promoted", { mode: opts.mode ?? "atomic" });
      if (opts.onInit !== undefined) record(sql, id, "init", opts.onInit);
    });
    emit(sql, "thing.promoted", { id });
    emit(sql, "do.activated", { id });
    return json({ id, promoted: true, status: "active", alarm: alarm ?? undefined, historyEntries: historyOf(sql, id).length });
  };

  const demote = (id: string, opts: Options): Response => {
    const row = active(sql, id);
    if (!row) return fail(404, `no active object ${id}`);
    transaction(() => {
      putThing(sql, { id, type: row.type, name: null, data: parseJson(row.data) });
      sql.exec("DELETE FROM active_objects WHERE id = ?", id);
      record(sql, id, "demoted", { archive: opts.archive ?? null, cleanup: opts.cleanup ?? null });
    });
    emit(sql, "do.deactivated", { id });
    return json({ id, demoted: true, status: "archived", archive: opts.archive ?? undefined });
  };

  const prepare = (kind: "promote" | "demote", id: string, opts: Options): Response => {
    const exists = kind === "promote" ? getThingData(sql, id) : active(sql, id);
    if (!exists) return fail(404, kind === "promote" ? `thing ${id} not found` : `no active object ${id}`);
    const token = crypto.randomUUID();
    const expiresAt = Date.now() + tokenTtl(opts.tokenTtl);
    sql.exec("INSERT INTO entity_tokens (token, entity_id, kind, status, expires_at) VALUES (?, ?, ?, 'pending', ?)", token, id, kind, expiresAt);
    const snapshot = kind === "demote" ? { id, data: parseJson((exists as ActiveRow).data), historyEntries: historyOf(sql, id).length } : undefined;
    return json({ token, expiresAt: new Date(expiresAt).toISOString(), snapshot });
  };

  const settle = (kind: "promote" | "demote", id: string, token: string | undefined, outcome: "commit" | "abort", opts: Options): Response => {
    const row = first<TokenRow>(sql, "SELECT * FROM entity_tokens WHERE token = ? AND entity_id = ? AND kind = ?", token ?? "", id, kind);
    if (!row) return fail(404, `unknown ${kind} token for ${id}`);
    const state = tokenState(row.status, row.expires_at, Date.now());
    if (state === "expired") return fail(410, `${kind} token expired; prepare again`);
    if (state !== "valid") return fail(409, `${kind} token was already ${state}`);
    sql.exec("UPDATE entity_tokens SET status = ? WHERE token = ?", outcome === "commit" ? "committed" : "aborted", row.token);
    if (outcome === "abort") return json({ id, aborted: true });
    return kind === "promote" ? promote(id, opts) : demote(id, opts);
  };

  /** One direction's routes: `<path>/prepare`, then `<path>/commit` or `/abort`, or `<path>` at once. */
  const steps = (path: string, kind: "promote" | "demote", move: (id: string, opts: Options) => Response): void => {
    router.post(`${path}/prepare`, withBody(MoveOptions, (opts, request) => prepare(kind, param(request, "id"), opts)));
    router.post(`${path}/:outcome`, withBody(MoveOptions, (opts, request) => {
      const outcome = param(request, "outcome");
      if (outcome !== "commit" && outcome !== "abort") return fail(404, `no ${kind} step ${outcome}`);
      return settle(kind, param(request, "id"), opts.token, outcome, opts);
    }));
    router.post(path, withBody(MoveOptions, (opts, request) => move(param(request, "id"), opts)));
  };
  steps("/things/:id/promote", "promote", promote);
  // One step, thing and promotion together: `POST /promote {entity, id, data}` writes the thing and
  // makes it an active object; promoting one already active replaces its data and says so
  // (`promoted: false`), so a retried or repeated promote ends where the first did.
  router.post("/promote", withBody(PromoteBody, ({ entity, id, data }) => {
    const row = active(sql, id);
    if (row) {
      sql.exec("UPDATE active_objects SET data = ?, updated_at = ? WHERE id = ?", JSON.stringify(data ?? {}), now(), id);
      record(sql, id, "updated", data ?? {});
      return json({ id, entity: row.type, promoted: false, status: "active" });
    }
    transaction(() => putThing(sql, { id, type: entity, name: null, data: data ?? {} }));
    const answer = promote(id, {});
    return answer.status === 200 ? json({ id, entity, promoted: true, status: "active" }) : answer;
  }));
  steps("/objects/:id/demote", "demote", demote);
  router.post("/things/:id/history/batch", withBody(HistoryBatch, ({ entries }, request) => {
    const id = param(request, "id");
    transaction(() => entries.forEach((e) => record(sql, id, e.event ?? "event", e.data)));
    return json({ id, added: entries.length, total: historyOf(sql, id).length });
  }));
  router.post("/things/:id/history", withBody(HistoryEntry, ({ event, data }, request) => {
    const id = param(request, "id");
    record(sql, id, event, data);
    return json({ id, total: historyOf(sql, id).length }, 201);
  }));

  // `POST /objects {id, data}` creates an active object; registry bodies ({ns, class, region}) fall
  // through to the objects store (itty-router moves on when a handler returns nothing).
  router.post("/objects", whenBody(NewObject, ({ id, type, data }) => {
    if (active(sql, id)) return fail(409, `object ${id} exists`);
    activate(sql, id, type ?? "Object", data ?? {});
    record(sql, id, "created", data ?? {});
    emit(sql, "do.activated", { id });
    return json({ id, status: "active" }, 201);
  }));
  router.get("/objects/:id/status", (request) => {
    const id = param(request, "id");
    if (active(sql, id)) return json({ id, active: true, status: "active" });
    return getThingData(sql, id) ? json({ id, active: false, status: "archived" }) : fail(404, `no object ${id}`);
  });
  router.get("/objects/:id/history", (request) => json({ id: param(request, "id"), entries: historyOf(sql, param(request, "id")) }));
  router.post("/objects/:id/action", withBody(ActionBody, (opts, request) => {
    const id = param(request, "id");
    const row = active(sql, id);
    if (!row) return fail(404, `no active object ${id}`);
    const data = parseJson(row.data) as Record<string, unknown>;
    if (opts.action === "set") data.value = opts.value;
    sql.exec("UPDATE active_objects SET data = ?, updated_at = ? WHERE id = ?", JSON.stringify(data), now(), id);
    record(sql, id, opts.action, { value: opts.value });
    return json({ id, action: opts.action, data });
  }));
  router.post("/objects/:id/increment", withBody(IncrementBody, ({ amount = 1 }, request) => {
    const id = param(request, "id");
    const row = active(sql, id);
    if (!row) return fail(404, `no active object ${id}`);
    const data = parseJson(row.data) as Record<string, unknown>;
    data.value = (typeof data.value === "number" ? data.value : 0) + amount;
    sql.exec("UPDATE active_objects SET data = ?, updated_at = ? WHERE id = ?", JSON.stringify(data), now(), id);
    record(sql, id, "increment", { amount });
    return json({ id, value: data.value });
  }));
}

export const promote: Feature = {
  name: "promote",
  serves: ["stores", UNCLAIMED],
  schema: { migrations: [migratePromote] },
  compact: (sql, keep) => ({ entityTokens: sql.exec("DELETE FROM entity_tokens WHERE status != 'pending' OR expires_at < ?", keep.now).rowsWritten }),
  uses: ["lifecycle", "things"],
  shares: [
    { route: "POST /objects", with: "objects", how: "a body with a string id and no ns makes an active object; a registry body {ns, …} falls through" },
    // An active object named "shards" would shadow the registry's shard lookup for these two suffixes.
    { route: "GET /objects/:id/status", with: "objects", how: "objects' GET /objects/shards/:shardKey comes later: /objects/shards/status is promote's" },
    { route: "GET /objects/:id/history", with: "objects", how: "objects' GET /objects/shards/:shardKey comes later: /objects/shards/history is promote's" },
  ],
  routes: promoteRoutes,
};

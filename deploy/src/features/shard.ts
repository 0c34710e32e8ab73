import type { RouterType } from "itty-router";
import { q, s as v, withBody, withInput, withQuery, type Infer } from "../input";
import { fail, json, refuse } from "../http";
import type { Schema } from "../schema";
import { distribution, route, type Range, type Strategy } from "../shard-routing";
import { all, first, parseJson, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";
import { emit, type ImportRequest } from "./lifecycle";
import { UNCLAIMED } from "../namespaces";

// shard.perf.do (contract §3): this object coordinates; every shard is an object of its own
// (`<coordinator>/<namespace>/shard-<i>`), called over Durable Object RPC (`shardSide` below).

const DEFAULT_SHARDS = 4;

interface ConfigRow extends Row {
  ns: string;
  strategy: string;
  shard_count: number;
  ranges: string;
  writes: number;
  rr_next: number;
  unsharded_to: string | null;
  sharded_seq: number;
}

interface ShardRow {
  id: string;
  data: Record<string, unknown>;
}

export function migrateShard(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS shard_configs (ns TEXT PRIMARY KEY, strategy TEXT NOT NULL, shard_count INTEGER NOT NULL, ranges TEXT NOT NULL,
    writes INTEGER NOT NULL DEFAULT 0, rr_next INTEGER NOT NULL DEFAULT 0, unsharded_to TEXT)`);
  sql.exec("CREATE TABLE IF NOT EXISTS shard_sticky (ns TEXT NOT NULL, key TEXT NOT NULL, shard INTEGER NOT NULL, PRIMARY KEY (ns, key))");
  sql.exec("CREATE TABLE IF NOT EXISTS shard_rows (id TEXT PRIMARY KEY, data TEXT NOT NULL)");
}

// ---- the shard side: rows of one shard, called by the coordinator over RPC ------------------------

const shardSide = {
  put: (ctx: FeatureContext, body: { rows: ShardRow[] }) => {
    for (const r of body.rows) ctx.sql.exec("INSERT INTO shard_rows (id, data) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data", r.id, JSON.stringify(r.data ?? {}));
    return { written: body.rows.length };
  },
  get: (ctx: FeatureContext, body: { id: string }) => {
    const row = first<{ id: string; data: string }>(ctx.sql, "SELECT id, data FROM shard_rows WHERE id = ?", body.id);
    return { row: row ? { id: row.id, data: parseJson(row.data) } : null };
  },
  dump: (ctx: FeatureContext) => ({ rows: all<{ id: string; data: string }>(ctx.sql, "SELECT id, data FROM shard_rows ORDER BY id").map((r) => ({ id: r.id, data: parseJson(r.data) })) }),
  clear: (ctx: FeatureContext) => ({ cleared: ctx.sql.exec("DELETE FROM shard_rows").rowsWritten }),
};

// ---- the coordinator ------------------------------------------------------------------------------

/** Version 2: the order namespaces were sharded in, so a request naming none means the last one. */
function migrateShardOrder(sql: SqlStorage): void {
  sql.exec("ALTER TABLE shard_configs ADD COLUMN sharded_seq INTEGER NOT NULL DEFAULT 0");
}

/**
 * A namespace's config. A request that names no namespace means the one sharded last (`POST /shard
 * {namespace: "users"}` then `POST /route {key}` routes in `users`, as perf.do's own suite expects),
 * and `default` when none was.
 */
function configOf(sql: SqlStorage, ns: string | null | undefined): ConfigRow | undefined {
  return ns == null
    ? first<ConfigRow>(sql, "SELECT * FROM shard_configs ORDER BY sharded_seq DESC LIMIT 1")
    : first<ConfigRow>(sql, "SELECT * FROM shard_configs WHERE ns = ?", ns);
}

const Namespace = { namespace: v.optional(v.string({ max: 256 })) };
/** `?namespace=`: the sharded namespace a GET asks about. */
const NamespaceQuery = { namespace: v.optional(q.string()) };
const MAX_SHARDS = 64;
const ShardCount = v.number({ integer: true, min: 1, max: MAX_SHARDS });
/** Keys a distribution places at most: each is a string built and hashed in one request. */
const MAX_KEYS = 10_000;
const Strategy = v.literal("hash", "range", "roundRobin", "consistent");
const Key = v.union(v.string(), v.number(), "a string or a number");
const CreateBody = v.object({ ...Namespace, strategy: v.optional(Strategy), shardCount: v.optional(ShardCount), ranges: v.optional(v.array(v.object({ min: v.number(), max: v.number() }))) });
const RebalanceBody = v.object({ ...Namespace, newShardCount: ShardCount });
const DistributionBody = v.object({ shardCount: v.optional(ShardCount), strategy: v.optional(Strategy), keys: v.optional(v.array(Key, { max: MAX_KEYS })) });
const RouteBody = v.object({ ...Namespace, key: Key, strategy: v.optional(Strategy) });
const DirectWriteBody = v.object({ ...Namespace, shardId: v.number({ integer: true, min: 0 }), id: v.optional(v.string()), data: v.optional(v.record()) });
const WriteBody = v.object({ ...Namespace, id: v.optional(v.string()), data: v.optional(v.record()) });
const RangeBody = v.object({ ...Namespace, min: v.optional(v.number()), max: v.optional(v.number()) });
const AllBody = v.object({ ...Namespace, filter: v.optional(v.record()), limit: v.optional(v.number({ integer: true, min: 0 })) });
const QueryBody = v.object({ ...Namespace, id: v.optional(Key), user_id: v.optional(Key), operation: v.optional(v.string()) });
const AggregateBody = v.object({ ...Namespace, field: v.optional(v.string()) });
const UnshardBody = v.object({ ...Namespace, targetId: v.string({ min: 1 }) });

/** What every coordinator route group uses: where a namespace's shards are, and how a key routes. */
function coordinatorOf(ctx: FeatureContext) {
  const { sql } = ctx;
  const shardName = (ns: string, i: number): string => `${ctx.namespace()}/${ns}/shard-${i}`;
  const toShard = <T>(ns: string, i: number, op: keyof typeof shardSide, payload: unknown = {}): Promise<T> => ctx.peer(shardName(ns, i)).call<T>("shard", op, payload);
  const dumpAll = async (c: ConfigRow): Promise<Array<ShardRow & { shard: number }>> => {
    const dumps = await Promise.all(Array.from({ length: c.shard_count }, (_, i) => toShard<{ rows: ShardRow[] }>(c.ns, i, "dump")));
    return dumps.flatMap((d, shard) => d.rows.map((r) => ({ ...r, shard })));
  };
  /** Routes a key with the namespace's strategy; roundRobin assignments persist (stable routes). */
  const routeKey = (c: ConfigRow, key: string, strategy: Strategy = c.strategy as Strategy, shardCount = c.shard_count): number => {
    if (strategy !== "roundRobin") return route(key, { strategy, shardCount, ranges: parseJson(c.ranges) as Range[] });
    const known = first<{ shard: number }>(sql, "SELECT shard FROM shard_sticky WHERE ns = ? AND key = ?", c.ns, key);
    if (known && known.shard < shardCount) return known.shard;
    const shard = c.rr_next % shardCount;
    sql.exec("UPDATE shard_configs SET rr_next = ? WHERE ns = ?", (shard + 1) % shardCount, c.ns);
    c.rr_next = (shard + 1) % shardCount;
    sql.exec("INSERT INTO shard_sticky (ns, key, shard) VALUES (?, ?, ?) ON CONFLICT(ns, key) DO UPDATE SET shard = excluded.shard", c.ns, key, shard);
    return shard;
  };
  const requireConfig = (ns: string | undefined): ConfigRow => {
    return configOf(sql, ns) ?? refuse(404, ns == null ? "no namespace is sharded (POST /shard first)" : `namespace ${ns} is not sharded (POST /shard first)`);
  };
  /** A route acting on one sharded namespace: the body (checked by `schema`) names it, and it must have been sharded. */
  const withConfig = <S extends Schema<{ namespace?: string }>>(schema: S, handler: (body: Infer<S>, c: ConfigRow) => Promise<Response>) =>
    withBody(schema, (body) => handler(body, requireConfig(body.namespace)));
  /** A namespace's config, or the defaults (hash, DEFAULT_SHARDS; not stored) where it was never sharded. */
  const configOrDefault = (ns: string | null): { c: ConfigRow; configured: boolean } => {
    const c = configOf(sql, ns);
    return c ? { c, configured: true } : { c: { ns: ns ?? "default", strategy: "hash", shard_count: DEFAULT_SHARDS, ranges: "[]", writes: 0, rr_next: 0, unsharded_to: null, sharded_seq: 0 }, configured: false };
  };
  return { shardName, toShard, dumpAll, routeKey, requireConfig, withConfig, configOrDefault };
}

/** Sharding a namespace, rebalancing it, and where keys go. */
function configRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const { shardName, toShard, dumpAll, routeKey, requireConfig, withConfig, configOrDefault } = coordinatorOf(ctx);
  router.post("/shard/rebalance", withConfig(RebalanceBody, async ({ newShardCount: newCount }, c) => {
    const rows = await dumpAll(c);
    await Promise.all(Array.from({ length: c.shard_count }, (_, i) => toShard(c.ns, i, "clear")));
    sql.exec("DELETE FROM shard_sticky WHERE ns = ?", c.ns);
    sql.exec("UPDATE shard_configs SET shard_count = ?, rr_next = 0 WHERE ns = ?", newCount, c.ns);
    const updated = configOf(sql, c.ns) as ConfigRow;
    const placed = new Map<number, ShardRow[]>();
    let moved = 0;
    for (const r of rows) {
      const shard = routeKey(updated, r.id);
      if (shard !== r.shard) moved++;
      placed.set(shard, [...(placed.get(shard) ?? []), { id: r.id, data: r.data }]);
    }
    await Promise.all([...placed].map(([i, list]) => toShard(c.ns, i, "put", { rows: list })));
    emit(sql, "shard.rebalanced", { namespace: c.ns, from: c.shard_count, to: newCount });
    return json({ namespace: c.ns, shardCount: newCount, rows: rows.length, moved });
  }));

  // The same question by POST body or GET query (`?shardCount=&strategy=&count=`), answered alike.
  const distributionOf = (body: Infer<typeof DistributionBody>, count: number): Response => {
    const shardCount = body.shardCount ?? DEFAULT_SHARDS;
    const strategy = body.strategy ?? "hash";
    const keys = body.keys?.map(String) ?? Array.from({ length: count }, (_, i) => `key-${i}`);
    const d = distribution(keys, { strategy, shardCount, sticky: new Map(), next: { value: 0 } });
    return json({ ...d, distribution: d.shardCounts, strategy, keys: keys.length });
  };
  // `count`: how many keys (key-0, key-1, …) are placed when the body lists none.
  const Count = v.withDefault(q.int({ min: 1, max: MAX_KEYS }), 1000);
  router.post("/shard/distribution", withInput({ body: DistributionBody, query: { count: Count } }, ({ body, query }) => distributionOf(body, query.count)));
  router.get("/shard/distribution", withQuery({ count: Count, shardCount: v.optional(q.int({ min: 1, max: MAX_SHARDS })), strategy: v.optional(Strategy) }, ({ count, shardCount, strategy }) =>
    distributionOf({ shardCount, strategy }, count)));

  router.get("/shard/counter", withQuery(NamespaceQuery, ({ namespace }) => json({ value: configOf(sql, namespace ?? null)?.writes ?? 0 })));

  router.post("/shard", withBody(CreateBody, (body) => {
    const strategy = body.strategy ?? "hash";
    const shardCount = body.shardCount ?? DEFAULT_SHARDS;
    const ns = body.namespace ?? "default";
    const ranges: Range[] = body.ranges ?? [];
    sql.exec(
      `INSERT INTO shard_configs (ns, strategy, shard_count, ranges, sharded_seq) VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(sharded_seq), 0) + 1 FROM shard_configs))
       ON CONFLICT(ns) DO UPDATE SET strategy = excluded.strategy, shard_count = excluded.shard_count, ranges = excluded.ranges, unsharded_to = NULL, sharded_seq = excluded.sharded_seq`,
      ns, strategy, shardCount, JSON.stringify(ranges),
    );
    emit(sql, "shard.created", { namespace: ns, strategy, shardCount });
    return json({ namespace: ns, strategy, shardCount, shards: Array.from({ length: shardCount }, (_, i) => shardName(ns, i)) }, 201);
  }));

  // GET forms read the key and namespace from the query string; on an object where nothing was sharded
  // they route with the defaults (hash over 4 shards, not stored; `configured: false` says so), which
  // is what a fresh object's first request measures (perf.do's cold-start suite).
  router.get("/shard/route", withQuery({ ...NamespaceQuery, key: q.string({ min: 1, max: 1024 }) }, ({ key, namespace }) => {
    const { c, configured } = configOrDefault(namespace ?? null);
    return json({ key, shardId: routeKey(c, key), strategy: c.strategy, shardCount: c.shard_count, namespace: c.ns, configured });
  }));
  router.post("/route", withBody(RouteBody, (body) => {
    const c = requireConfig(body.namespace);
    const strategy = body.strategy ?? (c.strategy as Strategy);
    return json({ key: body.key, shardId: routeKey(c, String(body.key), strategy), strategy, shardCount: c.shard_count });
  }));
}

/** Writes, to the shard a key routes to or to a named one. */
function writeRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const { toShard, routeKey, withConfig } = coordinatorOf(ctx);
  const write = async (c: ConfigRow, id: string, data: unknown, shard: number): Promise<Response> => {
    await toShard(c.ns, shard, "put", { rows: [{ id, data }] });
    sql.exec("UPDATE shard_configs SET writes = writes + 1 WHERE ns = ?", c.ns);
    return json({ id, shardId: shard }, 201);
  };
  router.post("/write/direct", withConfig(DirectWriteBody, async (body, c) => {
    // Which shards exist depends on the namespace's config: a rule the schema cannot state.
    if (body.shardId >= c.shard_count) return fail(400, `shardId must be 0–${c.shard_count - 1}`);
    return write(c, body.id ?? crypto.randomUUID(), body.data ?? {}, body.shardId);
  }));
  router.post("/write", withConfig(WriteBody, async (body, c) => {
    const id = body.id ?? crypto.randomUUID();
    return write(c, id, body.data ?? {}, routeKey(c, id));
  }));
}

/** Queries: one key's shard, or scatter-gather over every shard (range, filter, aggregate, count). */
function queryRoutes(router: RouterType, ctx: FeatureContext): void {
  const { toShard, dumpAll, routeKey, requireConfig, withConfig, configOrDefault } = coordinatorOf(ctx);
  const fanOut = async (c: ConfigRow, keep: (r: ShardRow) => boolean, limit = 1000): Promise<Response> => {
    const rows = (await dumpAll(c)).filter(keep);
    return json({ results: rows.slice(0, limit).map(({ id, data, shard }) => ({ id, data, shardId: shard })), shardsQueried: c.shard_count, total: rows.length });
  };
  const amount = (r: ShardRow, field = "amount"): number => Number(r.data?.[field]);
  router.post("/query/range", withConfig(RangeBody, async ({ min = -Infinity, max = Infinity }, c) => fanOut(c, (r) => amount(r) >= min && amount(r) <= max)));
  router.post("/query/all", withConfig(AllBody, async ({ filter = {}, limit }, c) => fanOut(c, (r) => Object.entries(filter).every(([k, val]) => r.data?.[k] === val), limit ?? 1000)));
  // One key (`id`, or `user_id`) is answered by its shard; no key scatters to all of them.
  router.post("/query", withConfig(QueryBody, async (body, c) => {
    const id = body.id ?? body.user_id;
    if (id === undefined) return fanOut(c, () => true);
    const shard = routeKey(c, String(id));
    const { row } = await toShard<{ row: ShardRow | null }>(c.ns, shard, "get", { id: String(id) });
    return json({ shardId: shard, shardsQueried: 1, results: row ? [row] : [], operation: body.operation ?? "get" });
  }));
  router.post("/aggregate", withConfig(AggregateBody, async ({ field = "amount" }, c) => {
    const values = (await dumpAll(c)).map((r) => amount(r, field)).filter(Number.isFinite);
    const sum = values.reduce((a, b) => a + b, 0);
    return json({ field, sum, count: values.length, avg: values.length > 0 ? sum / values.length : 0, shardsQueried: c.shard_count });
  }));
  // Scatter-gather over every shard object of a namespace (the defaults where nothing was sharded).
  router.get("/shard/scatter", withQuery({ ...NamespaceQuery, query: v.withDefault(q.oneOf("all"), "all"), limit: v.withDefault(q.int({ min: 1, max: 1000 }), 100) }, async ({ query, namespace, limit }) => {
    const { c, configured } = configOrDefault(namespace ?? null);
    const rows = await dumpAll(c);
    return json({ query, namespace: c.ns, configured, shardsQueried: c.shard_count, total: rows.length, results: rows.slice(0, limit).map(({ id, data, shard }) => ({ id, data, shardId: shard })) });
  }));
  router.get("/count", withQuery(NamespaceQuery, async ({ namespace }) => {
    const c = requireConfig(namespace);
    return json({ namespace: c.ns, count: (await dumpAll(c)).length, shards: c.shard_count, unshardedTo: c.unsharded_to ?? undefined });
  }));
}

/** Unsharding: every shard's rows into one object, by lifecycle's import. */
function unshardRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const { dumpAll, withConfig } = coordinatorOf(ctx);
  const amount = (r: ShardRow): number => Number(r.data?.amount);
  router.post("/unshard", withConfig(UnshardBody, async ({ targetId }, c) => {
    const rows = await dumpAll(c);
    const records = rows.map((r) => ({ id: r.id, active: r.data?.active !== false, amount: Number.isFinite(amount(r)) ? amount(r) : 0, data: r.data }));
    const req: ImportRequest = { snapshot: { state: [], records, counter: 0 }, origin: ctx.namespace(), kind: "unshard" };
    try {
      await ctx.peer(targetId).call("lifecycle", "import", req);
    } catch (err) {
      return fail(502, `unshard into ${targetId} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    sql.exec("UPDATE shard_configs SET unsharded_to = ? WHERE ns = ?", targetId, c.ns);
    emit(sql, "shard.unsharded", { namespace: c.ns, targetId, rows: rows.length });
    return json({ namespace: c.ns, targetId, rows: rows.length });
  }));
}

// The route groups, in the order their routes are tried.
function coordinatorRoutes(router: RouterType, ctx: FeatureContext): void {
  for (const routes of [configRoutes, writeRoutes, queryRoutes, unshardRoutes]) routes(router, ctx);
}

export const shard: Feature = {
  name: "shard",
  serves: [UNCLAIMED],
  schema: { migrations: [migrateShard, migrateShardOrder] },
  uses: ["lifecycle"], // unshard emits a lifecycle event
  routes: coordinatorRoutes,
  rpc: shardSide,
};

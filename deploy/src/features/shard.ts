import type { RouterType } from "itty-router";
import { fail, isObject, json, readJson, readObject } from "../http";
import { distribution, isStrategy, route, type Range, type Strategy } from "../shard-routing";
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

function configOf(sql: SqlStorage, ns: string): ConfigRow | undefined {
  return first<ConfigRow>(sql, "SELECT * FROM shard_configs WHERE ns = ?", ns);
}

function coordinatorRoutes(router: RouterType, ctx: FeatureContext): void {
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
  const requireConfig = (ns: unknown): ConfigRow | Response => {
    const name = typeof ns === "string" ? ns : "default";
    return configOf(sql, name) ?? fail(404, `namespace ${name} is not sharded (POST /shard first)`);
  };

  /** Routes that act on one sharded namespace: the body names it, and it must have been sharded. */
  const withConfig =
    (handler: (body: Record<string, unknown>, c: ConfigRow) => Promise<Response>) =>
    async (request: Request): Promise<Response> => {
      const body = await readObject(request);
      if (body instanceof Response) return body;
      const c = requireConfig(body.namespace);
      return c instanceof Response ? c : handler(body, c);
    };

  router.post("/shard/rebalance", withConfig(async (body, c) => {
    const newCount = Number(body.newShardCount);
    if (!Number.isInteger(newCount) || newCount < 1 || newCount > 64) return fail(400, "newShardCount must be 1–64");
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

  const distributionRoute = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await readObject(request) : {};
    if (body instanceof Response) return body;
    const shardCount = Number(body.shardCount ?? url.searchParams.get("shardCount") ?? DEFAULT_SHARDS);
    const strategy = body.strategy ?? url.searchParams.get("strategy") ?? "hash";
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 64) return fail(400, "shardCount must be 1–64");
    if (!isStrategy(strategy)) return fail(400, "strategy must be hash, range, roundRobin or consistent");
    const keys = Array.isArray(body.keys) ? body.keys.map(String) : Array.from({ length: Number(url.searchParams.get("count") ?? 1000) }, (_, i) => `key-${i}`);
    const d = distribution(keys, { strategy, shardCount, sticky: new Map(), next: { value: 0 } });
    return json({ ...d, distribution: d.shardCounts, strategy, keys: keys.length });
  };
  router.post("/shard/distribution", distributionRoute);
  router.get("/shard/distribution", distributionRoute);

  router.get("/shard/counter", (request) => {
    const c = configOf(sql, new URL(request.url).searchParams.get("namespace") ?? "default");
    return json({ value: c?.writes ?? 0 });
  });

  router.post("/shard", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const strategy = body.strategy ?? "hash";
    const shardCount = Number(body.shardCount ?? DEFAULT_SHARDS);
    if (!isStrategy(strategy)) return fail(400, "strategy must be hash, range, roundRobin or consistent");
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 64) return fail(400, "shardCount must be 1–64");
    const ns = typeof body.namespace === "string" ? body.namespace : "default";
    const ranges = Array.isArray(body.ranges) ? body.ranges.filter((r): r is Range => isObject(r) && typeof r.min === "number" && typeof r.max === "number") : [];
    sql.exec(
      "INSERT INTO shard_configs (ns, strategy, shard_count, ranges) VALUES (?, ?, ?, ?) ON CONFLICT(ns) DO UPDATE SET strategy = excluded.strategy, shard_count = excluded.shard_count, ranges = excluded.ranges, unsharded_to = NULL",
      ns, strategy, shardCount, JSON.stringify(ranges),
    );
    emit(sql, "shard.created", { namespace: ns, strategy, shardCount });
    return json({ namespace: ns, strategy, shardCount, shards: Array.from({ length: shardCount }, (_, i) => shardName(ns, i)) }, 201);
  });

  router.post("/route", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (typeof body.key !== "string" && typeof body.key !== "number") return fail(400, "POST /route needs {key}");
    const c = requireConfig(body.namespace);
    if (c instanceof Response) return c;
    const strategy = isStrategy(body.strategy) ? body.strategy : (c.strategy as Strategy);
    return json({ key: body.key, shardId: routeKey(c, String(body.key), strategy), strategy, shardCount: c.shard_count });
  });

  const write = async (c: ConfigRow, id: string, data: unknown, shard: number): Promise<Response> => {
    await toShard(c.ns, shard, "put", { rows: [{ id, data }] });
    sql.exec("UPDATE shard_configs SET writes = writes + 1 WHERE ns = ?", c.ns);
    return json({ id, shardId: shard }, 201);
  };
  router.post("/write/direct", withConfig(async (body, c) => {
    const shard = Number(body.shardId);
    if (!Number.isInteger(shard) || shard < 0 || shard >= c.shard_count) return fail(400, `shardId must be 0–${c.shard_count - 1}`);
    return write(c, typeof body.id === "string" ? body.id : crypto.randomUUID(), body.data ?? {}, shard);
  }));
  router.post("/write", withConfig(async (body, c) => {
    const id = typeof body.id === "string" ? body.id : crypto.randomUUID();
    return write(c, id, body.data ?? {}, routeKey(c, id));
  }));

  const fanOut = async (c: ConfigRow, keep: (r: ShardRow) => boolean, limit = 1000): Promise<Response> => {
    const rows = (await dumpAll(c)).filter(keep);
    return json({ results: rows.slice(0, limit).map(({ id, data, shard }) => ({ id, data, shardId: shard })), shardsQueried: c.shard_count, total: rows.length });
  };
  const amount = (r: ShardRow, field = "amount"): number => Number(r.data?.[field]);
  router.post("/query/range", withConfig(async (body, c) => {
    const min = Number(body.min ?? -Infinity);
    const max = Number(body.max ?? Infinity);
    return fanOut(c, (r) => amount(r) >= min && amount(r) <= max);
  }));
  router.post("/query/all", withConfig(async (body, c) => {
    const filter = isObject(body.filter) ? body.filter : {};
    return fanOut(c, (r) => Object.entries(filter).every(([k, v]) => r.data?.[k] === v), typeof body.limit === "number" ? body.limit : 1000);
  }));
  router.post("/query", withConfig(async (body, c) => {
    const id = body.id ?? body.user_id;
    if (typeof id !== "string" && typeof id !== "number") return fanOut(c, () => true);
    const shard = routeKey(c, String(id));
    const { row } = await toShard<{ row: ShardRow | null }>(c.ns, shard, "get", { id: String(id) });
    return json({ shardId: shard, shardsQueried: 1, results: row ? [row] : [], operation: body.operation ?? "get" });
  }));
  router.post("/aggregate", withConfig(async (body, c) => {
    const field = typeof body.field === "string" ? body.field : "amount";
    const values = (await dumpAll(c)).map((r) => amount(r, field)).filter(Number.isFinite);
    const sum = values.reduce((a, b) => a + b, 0);
    return json({ field, sum, count: values.length, avg: values.length > 0 ? sum / values.length : 0, shardsQueried: c.shard_count });
  }));
  router.post("/unshard", withConfig(async (body, c) => {
    if (typeof body.targetId !== "string" || body.targetId.length === 0) return fail(400, "POST /unshard needs {targetId}");
    const rows = await dumpAll(c);
    const records = rows.map((r) => ({ id: r.id, active: r.data?.active !== false, amount: Number.isFinite(amount(r)) ? amount(r) : 0, data: r.data }));
    const req: ImportRequest = { snapshot: { state: [], records, counter: 0 }, origin: ctx.namespace(), kind: "unshard" };
    try {
      await ctx.peer(body.targetId).call("lifecycle", "import", req);
    } catch (err) {
      return fail(502, `unshard into ${body.targetId} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    sql.exec("UPDATE shard_configs SET unsharded_to = ? WHERE ns = ?", body.targetId, c.ns);
    emit(sql, "shard.unsharded", { namespace: c.ns, targetId: body.targetId, rows: rows.length });
    return json({ namespace: c.ns, targetId: body.targetId, rows: rows.length });
  }));
  router.get("/count", async (request) => {
    const c = requireConfig(new URL(request.url).searchParams.get("namespace") ?? "default");
    if (c instanceof Response) return c;
    return json({ namespace: c.ns, count: (await dumpAll(c)).length, shards: c.shard_count, unshardedTo: c.unsharded_to ?? undefined });
  });
}

export const shard: Feature = {
  name: "shard",
  serves: [UNCLAIMED],
  schema: { migrations: [migrateShard] },
  uses: ["lifecycle"], // unshard emits a lifecycle event
  shares: [{ route: "POST /query", with: "targeting", how: "targeting answers it on sharded.perf.do only; every other namespace gets the coordinator's" }],
  routes: coordinatorRoutes,
  rpc: shardSide,
};

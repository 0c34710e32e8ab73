import type { IRequest, RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { INPUT, q, s as v, withInput, withQuery, type DeclaredHandler } from "../input";
import { fail, json, refuse } from "../http";
import { ReadOnlySql, NEAREST_REGION, REGION_COLOS, REGIONS, replicaChoice, SHARDS } from "../regions";
import { fnv1a, mix } from "../shard-routing";
import { first, param, parseJson } from "../sql";

// Shard and replica targeting (contract §4) on sharded.perf.do and replicated.perf.do.
// sharded: five shard objects (`sharded/shard-<n>`), each with its own `items` table;
// `?shard=N`, `?shardKey=X`, `?scatter=true[&shards=N]`, `&failover=true` for a missing shard.
// replicated: the object named `replicated` is the primary; each region is an object of its own
// (`replicated/<region>`) written synchronously, read by `?replica=primary|nearest|<region>`, with
// `&failover=true` and `&simulateFailure=primary`. Failure modes answer below 500.

const ITEMS_PER_SHARD = 100;

function migrateTargeting(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, shard INTEGER NOT NULL, category TEXT NOT NULL, value REAL NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS region_data (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL)");
}

const shardOf = (ns: string): number => Number(ns.slice("sharded/shard-".length));

function seed(ctx: FeatureContext): void {
  const sql = ctx.sql;
  if ((first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM items")?.n ?? 0) > 0) return;
  const shard = shardOf(ctx.namespace());
  for (let i = 0; i < ITEMS_PER_SHARD; i++) sql.exec("INSERT INTO items (id, shard, category, value) VALUES (?, ?, ?, ?)", shard * 1000 + i, shard, `c${i % 5}`, i);
}

type Answer = Record<string, unknown>;

/**
 * A write that names no key writes the object's one unnamed value, and a read that names none reads
 * it: `POST /data {value}` then `GET /data?replica=primary` answers `{value}`, the last value written
 * (what perf.do's own consistency test reads), in constant size however many writes came before.
 */
const UNNAMED = "";

function valueOf(sql: SqlStorage, key: string | undefined): Answer {
  const row = first<{ value: string }>(sql, "SELECT value FROM region_data WHERE key = ?", key ?? UNNAMED);
  return { key: key ?? null, value: row ? parseJson(row.value) : null };
}

/** Inside a shard or region object: what the primary (or sharded.) asks of it, over RPC. */
const inside = {
  query: (ctx: FeatureContext, body: { sql?: string }): Answer => {
    seed(ctx);
    const text = typeof body.sql === "string" ? body.sql : "SELECT * FROM items LIMIT 10";
    try {
      return { shard: shardOf(ctx.namespace()), rows: ctx.sql.exec(text).toArray() };
    } catch (err) {
      return { error: `sql: ${(err as Error).message}` }; // as the shard answered it over HTTP before
    }
  },
  thing: (ctx: FeatureContext, body: { key: string }): Answer => {
    seed(ctx);
    const shard = shardOf(ctx.namespace());
    return { shard, key: body.key, item: first(ctx.sql, "SELECT * FROM items WHERE id = ?", (fnv1a(body.key) % ITEMS_PER_SHARD) + shard * 1000) ?? null };
  },
  put: (ctx: FeatureContext, body: { key: string; value: unknown }): Answer => {
    ctx.sql.exec("INSERT INTO region_data (key, value, version) VALUES (?, ?, 1) ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = region_data.version + 1", body.key, JSON.stringify(body.value ?? null));
    return { ok: true };
  },
  get: (ctx: FeatureContext, body: { key?: string }): Answer => valueOf(ctx.sql, body.key),
};

const ShardQuery = v.object({ sql: v.optional(ReadOnlySql) });
const DataWrite = v.object({ key: v.optional(v.string()), value: v.value() });

function targetingRoutes(router: RouterType, ctx: FeatureContext): void {
  const sql = ctx.sql;
  const shardCall = (n: number, method: keyof typeof inside, body: unknown): Promise<Answer> => ctx.peer(`sharded/shard-${n}`).call<Answer>("targeting", method, body);
  const regionCall = (region: string, method: keyof typeof inside, body: unknown): Promise<Answer> => ctx.peer(`replicated/${region}`).call<Answer>("targeting", method, body);
  const served = (region: string | "primary", extra: Record<string, unknown> = {}): Response => {
    const colo = region === "primary" ? (REGION_COLOS[NEAREST_REGION]?.[0] as string) : (REGION_COLOS[region]?.[0] as string);
    return json({ ...extra, servedBy: region, region: region === "primary" ? NEAREST_REGION : region, colo }, 200, { "x-perfdo-served-by": `${region}/${colo}` });
  };

  // ---- sharded.perf.do --------------------------------------------------------------------------
  /** A route on one of the two namespaces this feature serves; on the other its path falls through. */
  const only = (namespace: string, handler: DeclaredHandler): DeclaredHandler =>
    Object.assign((request: IRequest) => (ctx.namespace() === namespace ? handler(request) : Promise.resolve(undefined)), { [INPUT]: handler[INPUT] });
  const ShardTarget = {
    scatter: v.optional(q.bool()),
    shards: v.withDefault(q.int({ min: 1, max: SHARDS }), SHARDS),
    shard: v.withDefault(q.int({ min: 0, max: 1_000 }), 0),
    failover: v.optional(q.bool()),
  };
  const shardedQuery = withInput({ body: ShardQuery, query: ShardTarget }, async ({ body, query }) => {
    const text = body.sql ?? "SELECT * FROM items LIMIT 10";
    if (query.scatter === true) {
      const n = query.shards;
      const parts = await Promise.all(Array.from({ length: n }, (_, i) => shardCall(i, "query", { sql: text })));
      const results = parts.flatMap((p) => (Array.isArray(p.rows) ? p.rows : []).map((row) => ({ ...(row as object), shard: p.shard })));
      return json({ results, shardsQueried: n, aggregated: { totalCount: results.length } });
    }
    const shard = query.shard;
    if (shard >= SHARDS) {
      if (query.failover !== true) return fail(404, `shard ${shard} does not exist (0–${SHARDS - 1}); add failover=true to fall back`);
      return json({ ...(await shardCall(shard % SHARDS, "query", { sql: text })), requestedShard: shard, failedOver: true });
    }
    return json(await shardCall(shard, "query", { sql: text }));
  });
  router.post("/query", only("sharded", shardedQuery));
  router.get("/things/:key", only("sharded", withQuery({ shardKey: v.optional(q.string({ max: 1024 })) }, async (query, request) => {
    const shardKey = query.shardKey ?? param(request, "key");
    return json(await shardCall(mix(fnv1a(shardKey)) % SHARDS, "thing", { key: shardKey }));
  })));

  // ---- replicated.perf.do -----------------------------------------------------------------------
  // `?replica=` primary, nearest or a region; `?simulateFailure=primary` as if the primary were down.
  const Replica = { replica: v.optional(q.oneOf("primary", "nearest", ...REGIONS)), simulateFailure: v.optional(q.oneOf("primary")) };
  const choose = (query: { replica?: string; simulateFailure?: string }): { region: string | "primary"; failedOver?: boolean } => {
    const choice = replicaChoice(query.replica ?? null);
    if (choice.kind === "invalid") return refuse(400, choice.reason);
    if (query.simulateFailure === "primary" && choice.kind === "primary") return { region: NEAREST_REGION, failedOver: true };
    return choice.kind === "primary" ? { region: "primary" } : { region: choice.region, failedOver: undefined };
  };
  const writeData = withInput({ body: DataWrite, query: Replica }, async ({ body, query }) => {
    const key = body.key ?? UNNAMED;
    const where = choose(query);
    // Writes always go to the primary (or, when it is failing, to the nearest region) and then to every region.
    if (where.region === "primary") sql.exec("INSERT INTO region_data (key, value, version) VALUES (?, ?, 1) ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = region_data.version + 1", key, JSON.stringify(body.value));
    await Promise.all(REGIONS.map((r) => regionCall(r, "put", { key, value: body.value })));
    return served(where.region === "primary" ? "primary" : where.region, { key: body.key ?? null, value: body.value, written: true, failedOver: where.failedOver });
  });
  router.post("/data", only("replicated", writeData));
  const readData = only("replicated", withQuery({ ...Replica, key: v.optional(q.string({ max: 1024 })) }, async (query, request) => {
    const where = choose(query);
    const key = request.params?.key !== undefined ? param(request, "key") : query.key;
    if (where.region === "primary") return served("primary", valueOf(sql, key));
    return served(where.region, { ...(await regionCall(where.region, "get", key ? { key } : {})), failedOver: where.failedOver });
  }));
  router.get("/data/:key", readData);
  router.get("/data", readData);
  router.get("/ping", only("replicated", withQuery(Replica, (query) => {
    const where = choose(query);
    return served(where.region, { ok: true, failedOver: where.failedOver });
  })));
}

export const targeting: Feature = {
  name: "targeting",
  serves: ["sharded", "replicated"],
  schema: { migrations: [migrateTargeting] },
  shares: [
    { route: "GET /ping", with: "network", how: "on replicated.perf.do only, answered with the serving region" },
  ],
  routes: targetingRoutes,
  rpc: inside,
};

import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { fail, isObject, json, readObject } from "../http";
import { fnv1a, mix } from "../shard-routing";
import { changed, all, first, param, parseJson } from "../sql";

// Partition routing on streaming.perf.do (contract §7): where a key goes (hash: FNV-1a mod n;
// murmur3: MurmurHash3 x86 32-bit, seed 0, mod n; consistent hash: a ring of virtual nodes per
// partition, so adding a partition moves ~1/n of the keys; range: configured [min, max) ranges),
// which consumer owns which partition (range, round-robin, and sticky assignment that keeps every
// existing owner it can), rebalance plans (the moves from one assignment to another) and a routing
// table of explicit overrides. Partition leaders come from a deterministic broker model.

const BROKERS = 3;

/** MurmurHash3 x86 32-bit of the UTF-8 bytes of `text`. */
export function murmur3(text: string, seed = 0): number {
  const bytes = new TextEncoder().encode(text);
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  let k = 0;
  switch (bytes.length & 3) {
    case 3: k ^= (bytes[blocks + 2] as number) << 16; // falls through
    case 2: k ^= (bytes[blocks + 1] as number) << 8; // falls through
    case 1:
      k ^= bytes[blocks] as number;
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  return mix(h ^ bytes.length); // MurmurHash3's finalizer
}

// Rings by (partitions, virtual nodes), built once per isolate: a ring is a pure function of the two.
const rings = new Map<string, Array<[number, number]>>();

/** The partition owning `key` on a ring of `vnodes` points per partition (binary search). */
function ringPartition(key: string, partitions: number, vnodes: number): number {
  let ring = rings.get(`${partitions}/${vnodes}`);
  if (!ring) {
    ring = [];
    for (let p = 0; p < partitions; p++) for (let v = 0; v < vnodes; v++) ring.push([murmur3(`partition-${p}#${v}`), p]);
    ring.sort((a, b) => a[0] - b[0]);
    if (rings.size >= 64) rings.clear();
    rings.set(`${partitions}/${vnodes}`, ring);
  }
  const h = murmur3(key);
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ring[mid] as [number, number])[0] < h) lo = mid + 1;
    else hi = mid;
  }
  return (ring[lo % ring.length] as [number, number])[1];
}

type Assignment = Record<string, number[]>;

function assign(strategy: "range" | "round-robin" | "sticky", consumers: string[], partitions: number, previous: Assignment = {}): Assignment {
  const out: Assignment = Object.fromEntries(consumers.map((c) => [c, []]));
  const sorted = [...consumers].sort();
  if (strategy === "round-robin") {
    for (let p = 0; p < partitions; p++) (out[sorted[p % sorted.length] as string] as number[]).push(p);
    return out;
  }
  if (strategy === "range") {
    const per = Math.floor(partitions / sorted.length);
    const extra = partitions % sorted.length;
    let p = 0;
    sorted.forEach((c, i) => {
      for (let n = 0; n < per + (i < extra ? 1 : 0); n++) (out[c] as number[]).push(p++);
    });
    return out;
  }
  // Sticky: keep each partition with its previous owner while that owner stays within its fair
  // share (ceil(partitions / consumers)), then give the rest to the least loaded consumers.
  const cap = Math.ceil(partitions / sorted.length);
  const free: number[] = [];
  const owner = new Map<number, string>();
  for (const [c, ps] of Object.entries(previous)) for (const p of ps) if (p < partitions) owner.set(p, c);
  for (let p = 0; p < partitions; p++) {
    const c = owner.get(p);
    if (c !== undefined && out[c] && (out[c] as number[]).length < cap) (out[c] as number[]).push(p);
    else free.push(p);
  }
  for (const p of free) {
    const c = sorted.reduce((best, x) => ((out[x] as number[]).length < (out[best] as number[]).length ? x : best), sorted[0] as string);
    (out[c] as number[]).push(p);
  }
  for (const c of sorted) (out[c] as number[]).sort((a, b) => a - b);
  return out;
}

function routerRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const count = (v: unknown): number | null => {
    const n = Math.trunc(Number(v ?? 8));
    return Number.isFinite(n) && n >= 1 && n <= 100_000 ? n : null;
  };
  const keysOf = (body: Record<string, unknown>): string[] => (Array.isArray(body.keys) ? body.keys.map(String) : []);
  const hashRoute = (fn: (key: string) => number) => async (request: Request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const n = count(body.partitions ?? body.numPartitions);
    if (n === null || body.key === undefined) return fail(400, "needs {key, partitions (1–100000)}");
    const key = String(body.key);
    const override = first<{ partition: number }>(sql, "SELECT partition FROM rt_table WHERE key = ?", key);
    return json({ key, partition: override && override.partition < n ? override.partition : fn(key) % n, partitions: n, override: override !== undefined || undefined });
  };
  router.post("/router/hash/batch", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const n = count(body.partitions);
    if (n === null) return fail(400, "needs {keys, partitions}");
    return json({ partitions: n, routes: keysOf(body).map((key) => ({ key, partition: fnv1a(key) % n })) });
  });
  router.post("/router/hash", hashRoute(fnv1a));
  router.post("/router/murmur3", hashRoute((k) => murmur3(k)));
  router.post("/router/consistent-hash", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const n = count(body.partitions ?? (Array.isArray(body.nodes) ? body.nodes.length : undefined));
    const vnodes = Math.min(Math.max(Math.trunc(Number(body.virtualNodes ?? 64)) || 64, 1), 512);
    if (n === null || body.key === undefined) return fail(400, "needs {key, partitions | nodes, virtualNodes?}");
    const p = ringPartition(String(body.key), n, vnodes);
    return json({ key: String(body.key), partition: p, node: Array.isArray(body.nodes) ? body.nodes[p] : undefined, virtualNodes: vnodes });
  });

  // ---- range routing -------------------------------------------------------------------------------
  router.post("/router/range/configure", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const ranges = Array.isArray(body.ranges) ? body.ranges.filter((r) => isObject(r) && r.min !== undefined && r.max !== undefined && Number.isInteger(Number(r.partition))) : [];
    if (ranges.length === 0) return fail(400, "needs {ranges: [{min, max, partition}]} (min inclusive, max exclusive)");
    sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES ('ranges', ?)", JSON.stringify(ranges));
    return json({ ranges: ranges.length });
  });
  const rangeOf = (key: unknown): number | null => {
    const ranges = parseJson(first<{ value: string }>(sql, "SELECT value FROM rt_config WHERE name = 'ranges'")?.value ?? "[]") as Array<{ min: unknown; max: unknown; partition: number }>;
    const numeric = typeof key === "number";
    const hit = ranges.find((r) => (numeric ? Number(key) >= Number(r.min) && Number(key) < Number(r.max) : String(key) >= String(r.min) && String(key) < String(r.max)));
    return hit ? Number(hit.partition) : null;
  };
  router.post("/router/range/batch", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const keys = Array.isArray(body.keys) ? body.keys : [];
    return json({ routes: keys.map((key) => ({ key, partition: rangeOf(key) })) });
  });
  router.post("/router/range", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const p = rangeOf(body.key);
    return p === null ? fail(404, `no configured range holds ${String(body.key)}`) : json({ key: body.key, partition: p });
  });

  // ---- consumer assignment -------------------------------------------------------------------------
  const assignment = (strategy: "range" | "round-robin" | "sticky") => async (request: Request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const consumers = Array.isArray(body.consumers) ? body.consumers.map(String) : [];
    const n = count(body.partitions);
    if (consumers.length === 0 || n === null) return fail(400, "needs {consumers: [...], partitions, previous?}");
    const stored = parseJson(first<{ value: string }>(sql, "SELECT value FROM rt_config WHERE name = 'assignment'")?.value ?? "{}") as Assignment;
    const previous = isObject(body.previous) ? (body.previous as Assignment) : stored;
    const result = assign(strategy, consumers, n, previous);
    sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES ('assignment', ?)", JSON.stringify(result));
    const kept = Object.entries(result).reduce((s, [c, ps]) => s + ps.filter((p) => previous[c]?.includes(p)).length, 0);
    return json({ strategy, assignment: result, partitions: n, kept });
  };
  router.post("/router/assignment/batch", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const groups = Array.isArray(body.groups) ? body.groups.filter(isObject) : [];
    return json({ results: groups.map((g) => ({ group: g.group, assignment: assign("range", Array.isArray(g.consumers) ? g.consumers.map(String) : [], count(g.partitions) ?? 0) })) });
  });
  router.post("/router/assignment/sticky", assignment("sticky"));
  router.post("/router/assignment/round-robin", assignment("round-robin"));
  router.post("/router/assignment", assignment("range"));

  // ---- rebalance -----------------------------------------------------------------------------------
  const movesBetween = (from: Assignment, to: Assignment) => {
    const owner = (a: Assignment) => new Map(Object.entries(a).flatMap(([c, ps]) => ps.map((p) => [p, c] as const)));
    const before = owner(from);
    return [...owner(to)].filter(([p, c]) => before.get(p) !== c).map(([partition, c]) => ({ partition, from: before.get(partition) ?? null, to: c })).sort((a, b) => a.partition - b.partition);
  };
  router.post("/router/rebalance/plan", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const consumers = Array.isArray(body.consumers) ? body.consumers.map(String) : [];
    const n = count(body.partitions);
    if (consumers.length === 0 || n === null) return fail(400, "needs {consumers (the new set), partitions, current?}");
    const current = isObject(body.current) ? (body.current as Assignment) : (parseJson(first<{ value: string }>(sql, "SELECT value FROM rt_config WHERE name = 'assignment'")?.value ?? "{}") as Assignment);
    const target = assign("sticky", consumers, n, current);
    const moves = movesBetween(current, target);
    const planId = crypto.randomUUID();
    sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES (?, ?)", `plan:${planId}`, JSON.stringify(target));
    return json({ planId, moves, target, movedPartitions: moves.length });
  });
  router.post("/router/rebalance/apply", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const plan = first<{ value: string }>(sql, "SELECT value FROM rt_config WHERE name = ?", `plan:${String(body.planId ?? "")}`);
    if (!plan) return fail(404, `no rebalance plan ${String(body.planId)}`);
    sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES ('assignment', ?)", plan.value);
    sql.exec("DELETE FROM rt_config WHERE name = ?", `plan:${String(body.planId)}`);
    return json({ applied: true, assignment: parseJson(plan.value) });
  });

  // ---- routing table and leaders -------------------------------------------------------------------
  router.post("/router/table/update", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (body.key === undefined || !Number.isInteger(Number(body.partition))) return fail(400, "needs {key, partition}");
    sql.exec("INSERT OR REPLACE INTO rt_table (key, partition) VALUES (?, ?)", String(body.key), Number(body.partition));
    return json({ key: String(body.key), partition: Number(body.partition) });
  });
  router.post("/router/table/lookup", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const row = first<{ partition: number }>(sql, "SELECT partition FROM rt_table WHERE key = ?", String(body.key ?? ""));
    return json({ key: body.key, partition: row?.partition ?? null, found: row !== undefined });
  });
  router.get("/router/partition/:n/leader", (request) => {
    const n = Number(param(request, "n"));
    if (!Number.isInteger(n) || n < 0) return fail(400, "partition must be a whole number");
    const replicas = [0, 1, 2].map((i) => `broker-${(n + i) % BROKERS}`);
    return json({ partition: n, leader: replicas[0], replicas, isr: replicas, epoch: 1 });
  });
  router.get("/router/table", () => json({ entries: all<{ key: string; partition: number }>(sql, "SELECT key, partition FROM rt_table ORDER BY key LIMIT 1000") }));
  router.post("/router/clear", () => json({ cleared: ctx.transaction(() => changed(sql, "DELETE FROM rt_table") + changed(sql, "DELETE FROM rt_config")) }));
}

function migrateRouter(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS rt_table (key TEXT PRIMARY KEY, partition INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS rt_config (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
}

export const partitionRouter: Feature = {
  name: "router",
  serves: ["streaming"],
  schema: { migrations: [migrateRouter] },
  routes: routerRoutes,
};

import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { s as v, withBody } from "../input";
import { fail, json } from "../http";
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
    if (rings.size >= 8) rings.clear();
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
    if (c !== undefined && Object.hasOwn(out, c) && (out[c] as number[]).length < cap) (out[c] as number[]).push(p);
    else free.push(p);
  }
  for (const p of free) {
    const c = sorted.reduce((best, x) => ((out[x] as number[]).length < (out[best] as number[]).length ? x : best), sorted[0] as string);
    (out[c] as number[]).push(p);
  }
  for (const c of sorted) (out[c] as number[]).sort((a, b) => a - b);
  return out;
}

// A key is a string or a number (range routing compares numbers as numbers, strings as strings).
const Key = v.union(v.string(), v.number(), "a string or a number");
/** Partitions a key is hashed into (a modulus: any count costs the same). */
const Partitions = v.optional(v.number({ integer: true, min: 1, max: 100_000 }));
/** Partitions an assignment or plan lists one by one, for each consumer. */
const AssignedPartitions = v.optional(v.number({ integer: true, min: 1, max: 10_000 }));
/** Points a consistent-hash ring holds at most (partitions × virtual nodes): each request may build one. */
const MAX_RING_POINTS = 65_536;
const Consumers = v.array(v.string({ max: 256 }), { min: 1, max: 1_000 });
/** consumer → the partitions it owns. */
const AssignmentMap = v.optional(v.parsed<Assignment>("an object of consumer → [partition numbers]", (x) =>
  typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length <= 1_000 &&
  Object.values(x).every((ps) => Array.isArray(ps) && ps.length <= 10_000 && ps.every((p) => Number.isInteger(p) && p >= 0))
    ? (x as Assignment) : null, { a: [0] }));
const HashBody = v.object({ key: Key, partitions: Partitions });
const HashBatchBody = v.object({ keys: v.array(Key), partitions: Partitions });
const ConsistentBody = v.object({ key: Key, partitions: Partitions, nodes: v.optional(v.array(v.string({ max: 256 }), { min: 1, max: 10_000 })), virtualNodes: v.optional(v.number({ integer: true, min: 1, max: 512 })) });
const RangesBody = v.object({ ranges: v.array(v.object({ min: Key, max: Key, partition: v.number({ integer: true, min: 0 }) }), { min: 1 }) });
const KeyBody = v.object({ key: Key });
const KeysBody = v.object({ keys: v.array(Key) });
const AssignBody = v.object({ consumers: Consumers, partitions: AssignedPartitions, previous: AssignmentMap });
const GroupsBody = v.object({ groups: v.array(v.object({ group: v.optional(v.value()), consumers: Consumers, partitions: AssignedPartitions }), { max: 100 }) });
const PlanBody = v.object({ consumers: Consumers, partitions: AssignedPartitions, current: AssignmentMap });
const PlanIdBody = v.object({ planId: v.string() });
const TableBody = v.object({ key: Key, partition: v.number({ integer: true, min: 0 }) });

/** Partitions when not given. */
const DEFAULT_PARTITIONS = 8;

function routerRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const hashRoute = (fn: (key: string) => number) =>
    withBody(HashBody, (body) => {
      const n = body.partitions ?? DEFAULT_PARTITIONS;
      const key = String(body.key);
      const override = first<{ partition: number }>(sql, "SELECT partition FROM rt_table WHERE key = ?", key);
      return json({ key, partition: override && override.partition < n ? override.partition : fn(key) % n, partitions: n, override: override !== undefined || undefined });
    });
  router.post("/router/hash/batch", withBody(HashBatchBody, (body) => {
    const n = body.partitions ?? DEFAULT_PARTITIONS;
    return json({ partitions: n, routes: body.keys.map(String).map((key) => ({ key, partition: fnv1a(key) % n })) });
  }));
  router.post("/router/hash", hashRoute(fnv1a));
  router.post("/router/murmur3", hashRoute((k) => murmur3(k)));
  router.post("/router/consistent-hash", withBody(ConsistentBody, (body) => {
    const n = body.partitions ?? body.nodes?.length ?? DEFAULT_PARTITIONS;
    const vnodes = body.virtualNodes ?? 64;
    if (n * vnodes > MAX_RING_POINTS) return fail(400, `POST /router/consistent-hash: partitions × virtualNodes is ${n * vnodes}; at most ${MAX_RING_POINTS}`);
    const p = ringPartition(String(body.key), n, vnodes);
    return json({ key: String(body.key), partition: p, node: body.nodes?.[p], virtualNodes: vnodes });
  }));

  // ---- range routing -------------------------------------------------------------------------------
  // Ranges are [min, max): min inclusive, max exclusive.
  router.post("/router/range/configure", withBody(RangesBody, ({ ranges }) => {
    sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES ('ranges', ?)", JSON.stringify(ranges));
    return json({ ranges: ranges.length });
  }));
  type Ranges = Array<{ min: unknown; max: unknown; partition: number }>;
  const configured = (): Ranges => parseJson(first<{ value: string }>(sql, "SELECT value FROM rt_config WHERE name = 'ranges'")?.value ?? "[]") as Ranges;
  /** The partition whose range holds `key` (ranges read once per request: a batch asks per key). */
  const rangeOf = (key: unknown, ranges = configured()): number | null => {
    const numeric = typeof key === "number";
    const hit = ranges.find((r) => (numeric ? Number(key) >= Number(r.min) && Number(key) < Number(r.max) : String(key) >= String(r.min) && String(key) < String(r.max)));
    return hit ? Number(hit.partition) : null;
  };
  router.post("/router/range/batch", withBody(KeysBody, ({ keys }) => {
    const ranges = configured();
    return json({ routes: keys.map((key) => ({ key, partition: rangeOf(key, ranges) })) });
  }));
  router.post("/router/range", withBody(KeyBody, ({ key }) => {
    const p = rangeOf(key);
    return p === null ? fail(404, `no configured range holds ${String(key)}`) : json({ key, partition: p });
  }));

  // ---- consumer assignment -------------------------------------------------------------------------
  const storedAssignment = (): Assignment => parseJson(first<{ value: string }>(sql, "SELECT value FROM rt_config WHERE name = 'assignment'")?.value ?? "{}") as Assignment;
  const assignment = (strategy: "range" | "round-robin" | "sticky") =>
    withBody(AssignBody, (body) => {
      const n = body.partitions ?? DEFAULT_PARTITIONS;
      const previous = (body.previous as Assignment | undefined) ?? storedAssignment();
      const result = assign(strategy, body.consumers, n, previous);
      sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES ('assignment', ?)", JSON.stringify(result));
      const kept = Object.entries(result).reduce((s, [c, ps]) => s + ps.filter((p) => (Object.hasOwn(previous, c) ? previous[c] : undefined)?.includes(p)).length, 0);
      return json({ strategy, assignment: result, partitions: n, kept });
    });
  router.post("/router/assignment/batch", withBody(GroupsBody, ({ groups }) =>
    json({ results: groups.map((g) => ({ group: g.group, assignment: assign("range", g.consumers, g.partitions ?? DEFAULT_PARTITIONS) })) })));
  router.post("/router/assignment/sticky", assignment("sticky"));
  router.post("/router/assignment/round-robin", assignment("round-robin"));
  router.post("/router/assignment", assignment("range"));

  // ---- rebalance -----------------------------------------------------------------------------------
  const movesBetween = (from: Assignment, to: Assignment) => {
    const owner = (a: Assignment) => new Map(Object.entries(a).flatMap(([c, ps]) => ps.map((p) => [p, c] as const)));
    const before = owner(from);
    return [...owner(to)].filter(([p, c]) => before.get(p) !== c).map(([partition, c]) => ({ partition, from: before.get(partition) ?? null, to: c })).sort((a, b) => a.partition - b.partition);
  };
  // `consumers` is the new set; `current` the assignment to move from (the stored one when absent).
  router.post("/router/rebalance/plan", withBody(PlanBody, (body) => {
    const current = (body.current as Assignment | undefined) ?? storedAssignment();
    const target = assign("sticky", body.consumers, body.partitions ?? DEFAULT_PARTITIONS, current);
    const moves = movesBetween(current, target);
    const planId = crypto.randomUUID();
    sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES (?, ?)", `plan:${planId}`, JSON.stringify(target));
    return json({ planId, moves, target, movedPartitions: moves.length });
  }));
  router.post("/router/rebalance/apply", withBody(PlanIdBody, ({ planId }) => {
    const plan = first<{ value: string }>(sql, "SELECT value FROM rt_config WHERE name = ?", `plan:${planId}`);
    if (!plan) return fail(404, `no rebalance plan ${planId}`);
    sql.exec("INSERT OR REPLACE INTO rt_config (name, value) VALUES ('assignment', ?)", plan.value);
    sql.exec("DELETE FROM rt_config WHERE name = ?", `plan:${planId}`);
    return json({ applied: true, assignment: parseJson(plan.value) });
  }));

  // ---- routing table and leaders -------------------------------------------------------------------
  router.post("/router/table/update", withBody(TableBody, ({ key, partition }) => {
    sql.exec("INSERT OR REPLACE INTO rt_table (key, partition) VALUES (?, ?)", String(key), partition);
    return json({ key: String(key), partition });
  }));
  router.post("/router/table/lookup", withBody(KeyBody, ({ key }) => {
    const row = first<{ partition: number }>(sql, "SELECT partition FROM rt_table WHERE key = ?", String(key));
    return json({ key, partition: row?.partition ?? null, found: row !== undefined });
  }));
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

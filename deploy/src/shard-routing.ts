// Shard routing for shard.perf.do (contract §3), free of Workers types so it is unit-testable.
//   hash        FNV-1a 32-bit of the key, modulo the shard count;
//   range       numeric keys by declared [min, max] ranges (one per shard), else even splits of 0..2^32;
//   roundRobin  the next shard in turn for a key never seen, then sticky (routes must be stable);
//   consistent  a hash ring with virtual nodes, so changing the shard count moves few keys.

export const STRATEGIES = ["hash", "range", "roundRobin", "consistent"] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const VIRTUAL_NODES = 128;

export function isStrategy(value: unknown): value is Strategy {
  return typeof value === "string" && (STRATEGIES as readonly string[]).includes(value);
}

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * MurmurHash3's 32-bit finalizer. FNV-1a alone barely avalanches on near-identical strings
 * ("shard-0#1", "shard-0#2"), which clustered the ring's virtual nodes (balance 0.30 on 4 shards).
 */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Range {
  min: number;
  max: number;
}

function rangeShard(key: string, shardCount: number, ranges: readonly Range[] | undefined): number {
  const n = Number(key.replace(/^\D+/, ""));
  if (ranges && ranges.length > 0 && Number.isFinite(n)) {
    const i = ranges.findIndex((r) => n >= r.min && n <= r.max);
    if (i >= 0) return i % shardCount;
  }
  const value = Number.isFinite(n) && n >= 0 ? n % 2 ** 32 : fnv1a(key);
  return Math.min(shardCount - 1, Math.floor((value / 2 ** 32) * shardCount));
}

const rings = new Map<number, Array<{ at: number; shard: number }>>();

/** Sorted ring positions, `VIRTUAL_NODES` per shard: built once per shard count (a route asks for it per key). */
export function ring(shardCount: number): Array<{ at: number; shard: number }> {
  const known = rings.get(shardCount);
  if (known) return known;
  const points: Array<{ at: number; shard: number }> = [];
  for (let shard = 0; shard < shardCount; shard++) {
    for (let v = 0; v < VIRTUAL_NODES; v++) points.push({ at: mix(fnv1a(`shard-${shard}#${v}`)), shard });
  }
  points.sort((a, b) => a.at - b.at);
  if (rings.size >= 64) rings.clear();
  rings.set(shardCount, points);
  return points;
}

function consistentShard(key: string, points: ReadonlyArray<{ at: number; shard: number }>): number {
  const h = mix(fnv1a(key));
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid] as { at: number }).at < h) lo = mid + 1;
    else hi = mid;
  }
  return (points[lo % points.length] as { shard: number }).shard;
}

export interface RouteOptions {
  strategy: Strategy;
  shardCount: number;
  ranges?: readonly Range[];
  /** roundRobin's memory: key → shard, and the next shard to hand out. */
  sticky?: Map<string, number>;
  next?: { value: number };
}

export function route(key: string, o: RouteOptions): number {
  if (!Number.isInteger(o.shardCount) || o.shardCount < 1) throw new Error("shardCount must be a positive integer");
  switch (o.strategy) {
    case "hash":
      return fnv1a(key) % o.shardCount;
    case "range":
      return rangeShard(key, o.shardCount, o.ranges);
    case "consistent":
      return consistentShard(key, ring(o.shardCount));
    case "roundRobin": {
      const known = o.sticky?.get(key);
      if (known !== undefined && known < o.shardCount) return known;
      const next = o.next ?? { value: 0 };
      const shard = next.value % o.shardCount;
      next.value = (next.value + 1) % o.shardCount;
      o.sticky?.set(key, shard);
      return shard;
    }
  }
}

/** Counts per shard, their population stddev, and balance = min/max (1 is perfectly even). */
export function distribution(keys: readonly string[], o: RouteOptions): { shardCounts: number[]; stdDev: number; balance: number } {
  const shardCounts = new Array<number>(o.shardCount).fill(0);
  for (const key of keys) shardCounts[route(key, o)]! += 1;
  const mean = keys.length / o.shardCount;
  const stdDev = Math.sqrt(shardCounts.reduce((s, c) => s + (c - mean) ** 2, 0) / o.shardCount);
  const max = Math.max(...shardCounts);
  return { shardCounts, stdDev, balance: max === 0 ? 1 : Math.min(...shardCounts) / max };
}

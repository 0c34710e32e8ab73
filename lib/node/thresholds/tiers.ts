import type { BenchmarkResult } from "../results/schema";
import type { Limit, ThresholdsFile } from "./schema";

// Tier ladders (`"p95": {"target": 50, "acceptable": 100}`): k6 gates on `acceptable` (compile.ts);
// here each operation's result is given the tier each laddered limit met, and the highest tier all
// of them met, as a performance plan's tables show it ("P95 < 50 ms ✅ / ⚠️ / ❌").

type Tier = "target" | "acceptable" | "none";
const RANK: Record<Tier, number> = { none: 0, acceptable: 1, target: 2 };
const LIMITS = ["p50", "p90", "p95", "p99", "max", "errorRate"] as const;

/** One warning per ladder without a `target`: it can only ever reach `acceptable`. */
export function tierWarnings(file: ThresholdsFile | null): string[] {
  if (!file) return [];
  const out: string[] = [];
  for (const [operation, limits] of Object.entries(file.operations)) {
    for (const key of LIMITS) {
      const limit = limits[key] as Limit | undefined;
      if (limit !== undefined && typeof limit !== "number" && limit.target === undefined) out.push(`thresholds: ${operation} ${key} is a tier ladder without a "target"; only "acceptable" can be met`);
    }
  }
  return out;
}

const within = (key: string, value: number, limit: number): boolean => (key === "errorRate" ? value <= limit : value < limit);

/** The results with `tiers` and `tier` set on every operation that has a laddered limit (its own or "*"'s). */
export function applyTiers(results: readonly BenchmarkResult[], file: ThresholdsFile | null): BenchmarkResult[] {
  if (!file) return [...results];
  return results.map((r) => {
    const limits = { ...file.operations["*"], ...file.operations[r.name] };
    const tiers = LIMITS.flatMap((key) => {
      const limit = limits[key] as Limit | undefined;
      if (limit === undefined || typeof limit === "number") return [];
      const value = key === "errorRate" ? r.errorRate : key === "p90" ? null : (r.latency?.[key] ?? null);
      const met: Tier = value === null ? "none" : limit.target !== undefined && within(key, value, limit.target) ? "target" : within(key, value, limit.acceptable) ? "acceptable" : "none";
      return [{ limit: key, value, ...(limit.target !== undefined ? { target: limit.target } : {}), acceptable: limit.acceptable, met }];
    });
    if (tiers.length === 0) return r;
    const tier = tiers.reduce<Tier>((worst, t) => (RANK[t.met] < RANK[worst] ? t.met : worst), "target");
    return { ...r, tiers, tier };
  });
}

/** A tier as reports print it. */
export function tierBadge(tier: Tier | undefined): string {
  return tier === undefined ? "" : tier === "target" ? "✅ target" : tier === "acceptable" ? "⚠️ acceptable" : "❌ below acceptable";
}

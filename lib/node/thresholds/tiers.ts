import type { BenchmarkResult } from "../results/schema";
import type { Limit, ThresholdsFile } from "./schema";

// Tier ladders (`"p95": {"target": 50, "acceptable": 100}`): k6 gates on `acceptable` (compile.ts);
// here each operation's result is given the tier each laddered limit met, and the highest tier all
// of them met, as a performance plan's tables show it ("P95 < 50 ms ✅ / ⚠️ / ❌").

type Tier = "target" | "acceptable" | "none";
const RANK: Record<Tier, number> = { none: 0, acceptable: 1, target: 2 };
const LIMITS = ["p50", "p90", "p95", "p99", "max", "mean", "errorRate"] as const;

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
      const corrected = r.corrected && "model" in r.corrected ? r.corrected : null;
      const value = key === "errorRate" ? r.errorRate : key === "p90" ? null : limit.of === "corrected" ? (corrected?.[key] ?? null) : (r.latency?.[key] ?? null);
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

/**
 * Readiness tiers (thresholds file `readiness`, lowest first): judged on the whole run, put on every
 * line of it. rps: the requests per second of all operations together, sustained over the run;
 * p95: the slowest operation's; memoryPer1kRpsMB: the local Worker's peak RSS per 1,000 requests/s
 * (unknown, so not met, without a local Worker to sample).
 */
export function applyReadiness(results: readonly BenchmarkResult[], file: ThresholdsFile | null): BenchmarkResult[] {
  if (!file?.readiness || results.length === 0) return [...results];
  const rps = results.reduce((s, r) => s + r.rps, 0);
  const p95s = results.map((r) => r.latency?.p95).filter((v): v is number => v !== undefined);
  const p95 = p95s.length > 0 ? Math.max(...p95s) : null;
  const workerdMB = results[0]?.resources?.workerd?.rssPeakMB;
  const memory = workerdMB !== undefined && rps > 0 ? workerdMB / (rps / 1000) : null;
  const tiers = Object.entries(file.readiness).map(([name, t]) => {
    const misses: string[] = [];
    if (t.rps !== undefined && rps < t.rps) misses.push(`rps ${rps.toFixed(1)} < ${t.rps}`);
    if (t.p95 !== undefined && (p95 === null || p95 > t.p95)) misses.push(`p95 ${p95 === null ? "—" : p95.toFixed(1)} ms > ${t.p95} ms`);
    if (t.memoryPer1kRpsMB !== undefined && (memory === null || memory > t.memoryPer1kRpsMB)) misses.push(`memory ${memory === null ? "unknown (no local Worker sampled)" : `${memory.toFixed(0)} MB`} per 1k rps > ${t.memoryPer1kRpsMB} MB`);
    return { name, met: misses.length === 0, misses };
  });
  const met = tiers.filter((t) => t.met);
  const readiness = { tier: met.length > 0 ? (met[met.length - 1] as { name: string }).name : null, tiers };
  return results.map((r) => ({ ...r, readiness }));
}

/** One line: the highest readiness tier met, and every tier's verdict. */
export function readinessLine(readiness: BenchmarkResult["readiness"]): string | null {
  if (!readiness) return null;
  const each = readiness.tiers.map((t) => (t.met ? `${t.name} ✅` : `${t.name} ❌ ${t.misses.join(", ")}`)).join("; ");
  return `readiness: ${readiness.tier ?? "no tier met"} (${each})`;
}

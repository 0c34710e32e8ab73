import { existsSync } from "node:fs";
import { z } from "zod";
import { loadJsonFile } from "../json-file";

// thresholds/regression.json: when a change against a baseline warns or fails. Latency and memory
// metrics are relative changes (0.10 = +10 %); errorRate is an absolute change (0 = any increase).
// A change only counts when it is also statistically significant at `alpha`.

const limit = z.number().min(0).finite();
const RuleSchema = z.strictObject({ warn: limit, fail: limit.nullable().default(null) }).refine((r) => r.fail === null || r.fail >= r.warn, {
  message: "fail must not be below warn",
});

export const LATENCY_METRICS = ["mean", "p50", "p95", "p99", "max"] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];
/** Peak resident memory of a process kind over the run (the line's `resources`), relative change. */
export const MEMORY_METRICS = ["k6RssPeakMB", "workerdRssPeakMB"] as const;
export type MemoryMetric = (typeof MEMORY_METRICS)[number];
export type RuleMetric = LatencyMetric | "errorRate" | MemoryMetric;

export const RegressionRulesSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  rules: z
    .strictObject({
      mean: RuleSchema.optional(),
      p50: RuleSchema.optional(),
      p95: RuleSchema.optional(),
      p99: RuleSchema.optional(),
      max: RuleSchema.optional(),
      errorRate: RuleSchema.optional(),
      k6RssPeakMB: RuleSchema.optional(),
      workerdRssPeakMB: RuleSchema.optional(),
    })
    .refine((r) => Object.keys(r).length > 0, { message: "names no metric" }),
  /** One-sided significance level of every test. */
  alpha: z.union([z.literal(0.1), z.literal(0.05), z.literal(0.01)]).default(0.05),
  /** Runs of history a comparison uses when no saved baseline is named. */
  history: z.number().int().min(1).max(100).default(5),
});

export type RegressionRules = z.infer<typeof RegressionRulesSchema>;
export type Rule = z.infer<typeof RuleSchema>;

/** The familiar table: mean +10 % warn / +20 % fail, p95 +15 % / +25 %, any error-rate increase warns. */
export const DEFAULT_RULES: RegressionRules = RegressionRulesSchema.parse({
  rules: {
    mean: { warn: 0.1, fail: 0.2 },
    p95: { warn: 0.15, fail: 0.25 },
    errorRate: { warn: 0, fail: null },
    k6RssPeakMB: { warn: 0.2, fail: 0.5 },
    workerdRssPeakMB: { warn: 0.2, fail: 0.5 },
  },
});

export function loadRegressionRules(path: string, root: string = process.cwd()): RegressionRules {
  return existsSync(path) ? loadJsonFile(path, RegressionRulesSchema, root) : DEFAULT_RULES;
}

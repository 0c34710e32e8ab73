import { readFileSync } from "node:fs";
import { z } from "zod";
import type { ThresholdOutcome } from "./schema";

// k6's `--summary-export` file. Its maintainers call the format unstable, so only the parts used
// are read, through a schema: per metric, its threshold outcomes (true = the threshold FAILED),
// and the counts and rates of http_reqs that give the test run's duration.

const MetricSchema = z.looseObject({
  count: z.number().optional(),
  rate: z.number().optional(),
  thresholds: z.record(z.string(), z.boolean()).optional(),
});

export const K6SummarySchema = z.looseObject({
  metrics: z.record(z.string(), MetricSchema),
});

export type K6Summary = z.infer<typeof K6SummarySchema>;

export function readK6Summary(path: string): K6Summary {
  const parsed = K6SummarySchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path}: not a k6 summary export (${parsed.error.issues[0]?.message ?? "invalid"})`);
  return parsed.data;
}

/** `http_req_duration{name:echo.ping,expected_response:true}` → "echo.ping"; null for scenario-wide metrics. */
export function operationOfMetric(metric: string): string | null {
  const match = /\{(.*)\}$/.exec(metric);
  if (!match?.[1]) return null;
  for (const tag of match[1].split(",")) {
    if (tag.startsWith("name:")) return tag.slice("name:".length);
  }
  return null;
}

export interface ThresholdReport {
  byOperation: Map<string, ThresholdOutcome[]>;
  scenarioWide: ThresholdOutcome[];
}

export function thresholdOutcomes(summary: K6Summary): ThresholdReport {
  const byOperation = new Map<string, ThresholdOutcome[]>();
  const scenarioWide: ThresholdOutcome[] = [];
  for (const [metric, data] of Object.entries(summary.metrics)) {
    for (const [threshold, failed] of Object.entries(data.thresholds ?? {})) {
      const op = operationOfMetric(metric);
      if (op === null) {
        scenarioWide.push({ metric, threshold, ok: !failed, scope: "scenario" });
      } else {
        const list = byOperation.get(op) ?? [];
        list.push({ metric, threshold, ok: !failed, scope: "operation" });
        byOperation.set(op, list);
      }
    }
  }
  return { byOperation, scenarioWide };
}

/** k6's test-run duration in seconds (http_reqs count ÷ rate), or null without requests. */
export function testRunSeconds(summary: K6Summary): number | null {
  const reqs = summary.metrics.http_reqs;
  if (!reqs?.count || !reqs.rate) return null;
  return reqs.count / reqs.rate;
}

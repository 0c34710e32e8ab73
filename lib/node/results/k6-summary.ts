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

const CheckSchema = z.looseObject({ name: z.string(), passes: z.number(), fails: z.number() });
interface Group {
  checks?: Record<string, z.infer<typeof CheckSchema>>;
  groups?: Record<string, Group>;
}
const GroupSchema: z.ZodType<Group> = z.lazy(() =>
  z.looseObject({ checks: z.record(z.string(), CheckSchema).optional(), groups: z.record(z.string(), GroupSchema).optional() }),
);

export const K6SummarySchema = z.looseObject({
  metrics: z.record(z.string(), MetricSchema),
  root_group: GroupSchema.optional(),
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

/** `http_req_duration{scenario:browse}` → "browse"; undefined for a metric not filtered to one k6 scenario. */
export function scenarioOfMetric(metric: string): string | undefined {
  const match = /\{(.*)\}$/.exec(metric);
  for (const tag of match?.[1]?.split(",") ?? []) if (tag.startsWith("scenario:")) return tag.slice("scenario:".length);
  return undefined;
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

export interface CheckCount {
  name: string;
  passes: number;
  fails: number;
}

/** Every check of the run (all groups), summed over several summaries (instances) by name. */
export function checkCounts(summaries: readonly K6Summary[]): CheckCount[] {
  const counts = new Map<string, CheckCount>();
  const walk = (group: Group | undefined): void => {
    if (!group) return;
    for (const check of Object.values(group.checks ?? {})) {
      const c = counts.get(check.name) ?? { name: check.name, passes: 0, fails: 0 };
      c.passes += check.passes;
      c.fails += check.fails;
      counts.set(check.name, c);
    }
    for (const child of Object.values(group.groups ?? {})) walk(child);
  };
  for (const s of summaries) walk(s.root_group);
  return [...counts.values()];
}

/** "things.create: status is 2xx" and "things: patch keeps old fields" → area "things". */
export function checksByArea(checks: readonly CheckCount[]): Array<{ area: string; checks: number; passes: number; fails: number }> {
  const areas = new Map<string, { area: string; checks: number; passes: number; fails: number }>();
  for (const c of checks) {
    const colon = c.name.indexOf(":");
    const area = (colon > 0 ? c.name.slice(0, colon) : c.name).split(".")[0] as string;
    const a = areas.get(area) ?? { area, checks: 0, passes: 0, fails: 0 };
    a.checks++;
    a.passes += c.passes;
    a.fails += c.fails;
    areas.set(area, a);
  }
  return [...areas.values()].sort((x, y) => x.area.localeCompare(y.area));
}

import { gateOf, ofCorrected, type Limit, type ThresholdsFile } from "./schema";

// thresholds file → k6 `options.thresholds`. Pure. Latency limits apply to successful responses
// only (expected_response:true), as the contract's clients time only 2xx; failures are judged by
// the error rate, so a run of fast failures cannot pass on latency alone.
//
// An operation may also be a measured latency that is not one request (replication lag, failover
// time: the `perfdo_latency` Trend, lib/k6/measure.ts). Its thresholds entry says so with
// `"measured": true`, and its latency limits compile onto perfdo_latency only; every other named
// operation's go onto http_req_duration only. So k6's own summary never lists a threshold on a
// metric the operation has no samples in (it would show `p(95)=0s ✓`, a vacuous pass). An entry
// on the wrong metric fails when the run is judged, saying which way to fix it (evaluate.ts). "*"
// stays on requests: a failover measured in seconds is not held to the requests' p95.

export type K6Threshold = string | { threshold: string; abortOnFail: boolean; delayAbortEval?: string };
export type K6Thresholds = Record<string, K6Threshold[]>;

const PERCENTILES = [
  ["p50", "p(50)"],
  ["p90", "p(90)"],
  ["p95", "p(95)"],
  ["p99", "p(99)"],
  ["max", "max"],
  ["mean", "avg"],
] as const;

/** The Trend lib/k6/measure.ts records measured latencies in. */
export const MEASURED_METRIC = "perfdo_latency";
/**
 * Limits `{"of": "corrected"}`: latency corrected for coordinated omission (results/omission.ts).
 * Not a k6 metric: the k6 script leaves these keys out of its options (lib/k6/options-build.ts) and
 * the harness judges them (evaluate.ts).
 */
export const CORRECTED_METRIC = "perfdo_corrected";

export function metricKey(metric: string, operation: string, extra?: string): string {
  const tags = [operation === "*" ? null : `name:${operation}`, extra ?? null].filter((t): t is string => t !== null);
  return tags.length === 0 ? metric : `${metric}{${tags.join(",")}}`;
}

export function compileThresholds(file: ThresholdsFile): K6Thresholds {
  const out: K6Thresholds = {};
  const wrap = (expr: string): K6Threshold => (file.abortOnFail ? { threshold: expr, abortOnFail: true, delayAbortEval: "10s" } : expr);
  for (const [operation, limits] of Object.entries(file.operations)) {
    // A tier ladder compiles to its gate (`acceptable`); the tiers themselves are judged on the results (tiers.ts).
    const latency = PERCENTILES.flatMap(([key, stat]) => {
      const limit = limits[key] as Limit | undefined;
      return limit === undefined || ofCorrected(limit) ? [] : [wrap(`${stat}<${gateOf(limit)}`)];
    });
    const corrected = PERCENTILES.flatMap(([key, stat]) => {
      const limit = limits[key] as Limit | undefined;
      return limit !== undefined && ofCorrected(limit) ? [`${stat}<${gateOf(limit)}`] : [];
    });
    if (corrected.length > 0) out[metricKey(CORRECTED_METRIC, operation)] = corrected;
    if (latency.length > 0) {
      if (limits.measured === true && operation !== "*") out[metricKey(MEASURED_METRIC, operation)] = latency;
      else out[metricKey("http_req_duration", operation, "expected_response:true")] = latency;
    }
    if (limits.errorRate !== undefined) out[metricKey("http_req_failed", operation)] = [wrap(`rate<=${gateOf(limits.errorRate)}`)];
  }
  if (file.checks !== undefined) out.checks = [wrap(`rate>=${file.checks}`)];
  // Never aborts the run: the drops are the finding, and the rest of the run is still measured.
  // A share is not k6 syntax: lib/k6/options-build.ts turns it into the count for the run's profile.
  out.dropped_iterations = [file.maxDroppedIterations !== undefined ? `count<=${file.maxDroppedIterations}` : `share<=${file.maxDroppedShare}`];
  return out;
}

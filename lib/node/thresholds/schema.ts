import { z } from "zod";

// thresholds/<scenario>.json: what a scenario must meet. Latencies in ms, rates as fractions.
// Operation keys are the `name` tags scenarios give their requests; "*" means every request.

const ms = z.number().positive().finite();
const fraction = z.number().min(0).max(1);

export const OperationThresholdsSchema = z
  .strictObject({
    p50: ms.optional(),
    p90: ms.optional(),
    p95: ms.optional(),
    p99: ms.optional(),
    max: ms.optional(),
    /** Highest tolerated share of failed requests (k6's http_req_failed). */
    errorRate: fraction.optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { message: "names no limit (p50, p90, p95, p99, max or errorRate)" });

export const ThresholdsFileSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  operations: z.record(z.string().min(1), OperationThresholdsSchema).default({}),
  /** Lowest tolerated share of passing checks. */
  checks: fraction.optional(),
  /**
   * Most iterations an open-model run may drop (k6's dropped_iterations: the arrival rate asked for
   * one and no VU was free). Each one is a request the target was never offered, so latencies
   * understate what users would see (coordinated omission). Default 0.
   */
  maxDroppedIterations: z.number().int().nonnegative().default(0),
  /** Stop the run as soon as a threshold is breached (k6 abortOnFail). */
  abortOnFail: z.boolean().default(false),
});

export type OperationThresholds = z.infer<typeof OperationThresholdsSchema>;
export type ThresholdsFile = z.infer<typeof ThresholdsFileSchema>;

/**
 * The gate of a scenario without a thresholds file: no more than 1 % of requests failed, 99 % of
 * checks passed, no iteration dropped. So every run judges something.
 */
export const DEFAULT_THRESHOLDS: ThresholdsFile = ThresholdsFileSchema.parse({
  description: "default gate (no thresholds file)",
  operations: { "*": { errorRate: 0.01 } },
  checks: 0.99,
});

import { z } from "zod";

// thresholds/<scenario>.json: what a scenario must meet. Latencies in ms, rates as fractions.
// Operation keys are the `name` tags scenarios give their requests; "*" means every request.

const ms = z.number().positive().finite();
const fraction = z.number().min(0).max(1);
export const DEFAULT_MAX_DROPPED_SHARE = 0.01;

/**
 * A limit: a number (the gate), or a tier ladder as performance plans write them,
 * `{"target": 50, "acceptable": 100}`: `acceptable` is the gate k6 enforces, `target` what the
 * plan aims for. A ladder without `acceptable` is invalid (there is no gate); one without `target`
 * is accepted with a warning (tierWarnings).
 */
const ladder = <T extends z.ZodNumber>(value: T, what: string) =>
  z.union([value, z.strictObject({ target: value.optional(), acceptable: value })], {
    error: `must be ${what}, or a tier ladder {"target": …, "acceptable": …} ("acceptable", the gate, is required)`,
  });

/**
 * A latency limit may judge the latency corrected for coordinated omission instead of the service
 * time: `{"of": "corrected", "acceptable": 900}` (with an optional `target`, as a ladder). k6 cannot
 * see it (it knows only the requests it sent); the harness judges it on the run's samples.
 */
const latencyLimit = (what: string) =>
  z.union([ms, z.strictObject({ of: z.enum(["service", "corrected"]).optional(), target: ms.optional(), acceptable: ms })], {
    error: `must be ${what}, or a tier ladder {"target": …, "acceptable": …} ("acceptable", the gate, is required), optionally with "of": "corrected"`,
  });

export const OperationThresholdsSchema = z
  .strictObject({
    p50: latencyLimit("a positive number of ms").optional(),
    p90: latencyLimit("a positive number of ms").optional(),
    p95: latencyLimit("a positive number of ms").optional(),
    p99: latencyLimit("a positive number of ms").optional(),
    max: latencyLimit("a positive number of ms").optional(),
    /** The arithmetic mean (k6's `avg`), for ceilings stated as means (the contract's streaming §7). */
    mean: latencyLimit("a positive number of ms").optional(),
    /** Highest tolerated share of failed requests (k6's http_req_failed). */
    errorRate: ladder(fraction, "a fraction from 0 to 1").optional(),
    /**
     * The operation is a measured latency (lib/k6/measure.ts recordLatency: replication lag, a
     * WebSocket round trip), not HTTP requests: its limits apply to perfdo_latency.
     */
    measured: z.literal(true, { error: 'must be true (or left out, for an operation of HTTP requests)' }).optional(),
  })
  .refine((o) => Object.keys(o).some((k) => k !== "measured"), { message: "names no limit (p50, p90, p95, p99, max, mean or errorRate)" });

export const ThresholdsFileSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  operations: z.record(z.string().min(1), OperationThresholdsSchema).default({}),
  /** Lowest tolerated share of passing checks. */
  checks: fraction.optional(),
  /**
   * Largest share of the iterations an open-model run offers that it may drop (k6's
   * dropped_iterations: the arrival rate asked for one and no VU was free). Each one is a request the
   * target was never offered, so latencies understate what users would see (coordinated omission).
   * Default 0.01: healthy `npm start` runs dropped 0 (docs/thresholds.md, "Coordinated omission"); a VU-starved
   * run drops about 9 %. k6 checks it as the count it comes to for the run's profile.
   */
  maxDroppedShare: fraction.default(DEFAULT_MAX_DROPPED_SHARE),
  /** Most iterations a run may drop, as a count (instead of maxDroppedShare). */
  maxDroppedIterations: z.number().int().nonnegative().optional(),
  /** Stop the run as soon as a threshold is breached (k6 abortOnFail). */
  abortOnFail: z.boolean().default(false),
  /**
   * Readiness tiers, lowest first (e.g. mvp, production, stretch), each a set of limits on the whole
   * run: requests per second sustained (at least), the slowest operation's p95 (at most) and the
   * local Worker's peak memory per 1,000 requests/s (at most). Reports show the highest tier met.
   */
  readiness: z
    .record(
      z.string().min(1),
      z
        .strictObject({ rps: z.number().positive().optional(), p95: ms.optional(), memoryPer1kRpsMB: z.number().positive().optional() })
        .refine((t) => Object.keys(t).length > 0, { message: "names no limit (rps, p95 or memoryPer1kRpsMB)" }),
    )
    .optional(),
});

export type OperationThresholds = z.infer<typeof OperationThresholdsSchema>;
export type Limit = number | { target?: number; acceptable: number; of?: "service" | "corrected" };

/** Whether a limit judges the latency corrected for coordinated omission. */
export const ofCorrected = (limit: Limit): boolean => typeof limit !== "number" && limit.of === "corrected";

/** The gate of a limit: the number itself, or a ladder's `acceptable`. */
export const gateOf = (limit: Limit): number => (typeof limit === "number" ? limit : limit.acceptable);
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

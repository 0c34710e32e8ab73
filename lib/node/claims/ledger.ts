import { z } from "zod";
import { loadJsonFile } from "../json-file";

// The claims ledger (claims/perf-do.json): the platform's published performance claims, each with
// the measurement that judges it and the runs that produce it. Data, not code: a claim is added by
// adding an entry, validated here.

const RunSchema = z.strictObject({
  /** perfdo arguments, e.g. ["run", "perf/iceberg", "--duration", "20s"]. */
  args: z.array(z.string()).min(1),
  /** Environment for the scenario (`__ENV`), e.g. sizes. */
  env: z.record(z.string(), z.string()).optional(),
});

export const ClaimSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and -"),
  claim: z.string().min(1),
  /** Where the claim is published. */
  source: z.string().min(1),
  expected: z
    .strictObject({ min: z.number().nonnegative().optional(), max: z.number().positive().optional(), unit: z.string().min(1) })
    .refine((e) => e.min !== undefined || e.max !== undefined, "give min, max or both")
    .refine((e) => e.min === undefined || e.max === undefined || e.min <= e.max, "min must not exceed max"),
  /** Which way is better: lower (latency) or higher (throughput, capacity). */
  better: z.enum(["lower", "higher"]),
  measure: z.strictObject({
    scenario: z.string().min(1),
    operation: z.string().min(1),
    /** Subtracted (same statistic, same run): cold − warm is a cold start. */
    minus: z.string().min(1).optional(),
    /** p50/p95/p99 (ms), rps, or held (requests that succeeded: sockets held to the end). */
    statistic: z.enum(["p50", "p95", "p99", "rps", "held"]),
  }),
  /** Why a local run cannot judge this claim; such a claim is never "holds" on the local target. */
  notLocal: z.string().min(1).optional(),
  /** What a local verdict stands on, where the local target models the platform (e.g. "in-memory R2, one process"): every local verdict says it. */
  localModel: z.string().min(1).optional(),
  run: z.strictObject({ local: RunSchema.optional(), remote: RunSchema.optional() }),
});

export const LedgerSchema = z.strictObject({
  description: z.string().optional(),
  claims: z.array(ClaimSchema).min(1).refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, "claim ids must be unique"),
});

export type Claim = z.infer<typeof ClaimSchema>;
export type Ledger = z.infer<typeof LedgerSchema>;

export const loadLedger = (path: string, root?: string): Ledger => loadJsonFile(path, LedgerSchema, root);

import { z } from "zod";
import { ProvenanceSchema, type Provenance } from "./provenance";

// One line of results/YYYY-MM-DD-benchmarks.jsonl: one measured operation of one run.
// Every line is validated against this schema before it is appended, and again when read.
// Schema 2 added `provenance` (and moved `gitCommit` into it); a schema 1 line is migrated when read
// (migrateLine), saying in provenance.note what was inferred.

const ms = z.number().finite().nonnegative();

export const LatencySchema = z.strictObject({
  p50: ms,
  p95: ms,
  p99: ms,
  min: ms,
  max: ms,
  mean: ms,
  stddev: ms,
});

/**
 * Latency corrected for coordinated omission (results/omission.ts, docs/results.md): the responses
 * plus every request k6 dropped, each back-filled with what the kind of target the run faced would
 * have given it. Or why it does not apply (a closed-model run; a capture without each response's time).
 */
const correctedFigures = { p50: ms, p95: ms, p99: ms, max: ms, mean: ms, omitted: z.number().int().nonnegative() };
export const CorrectedLatencySchema = z.union([
  z.strictObject({
    model: z.literal("omission"),
    /** The kind of target the responses showed: parallel (serves any number at once), serial (one at a time), unknown. */
    target: z.enum(["parallel", "serial", "unknown"]),
    ...correctedFigures,
    /**
     * When the run could not tell the kind: p95 and p99 under each assumption, [parallel: missing
     * users queue behind no one, serial: they queue one at a time]. The figures above are the parallel end's.
     */
    bounds: z.strictObject({ p95: z.tuple([ms, ms]), p99: z.tuple([ms, ms]) }).optional(),
  }),
  /** Lines written before 2026-12-07: the drop-wait model, which the omission model replaced. */
  z.strictObject({ model: z.literal("drop-wait"), ...correctedFigures }),
  z.strictObject({ applies: z.literal(false), reason: z.string().min(1) }),
]);

/** One laddered limit of an operation and the tier its value met (thresholds file ladders). */
export const TierOutcomeSchema = z.strictObject({
  /** p50, p95, p99, max or errorRate. */
  limit: z.string(),
  /** The run's value (ms, or a fraction for errorRate); null when the run has none (e.g. p90, not kept). */
  value: z.number().nullable(),
  target: z.number().optional(),
  acceptable: z.number(),
  met: z.enum(["target", "acceptable", "none"]),
});

export const ThresholdOutcomeSchema = z.strictObject({
  /** k6 metric with its tag filter, e.g. `http_req_duration{name:echo.ping,expected_response:true}`. */
  metric: z.string(),
  /** k6 threshold expression, e.g. `p(95)<250`. */
  threshold: z.string(),
  ok: z.boolean(),
  /** "operation" when the threshold names this operation, "scenario" when it covers every request. */
  scope: z.enum(["operation", "scenario"]),
  /** Why the harness judged it otherwise than k6 did, e.g. a threshold whose operation produced no samples. */
  note: z.string().optional(),
});

/** Peak and mean CPU (% of one core) and resident memory (MB) of one kind of process over a run. */
export const ProcessResourcesSchema = z.strictObject({
  cpuPeak: z.number().finite().nonnegative(),
  cpuMean: z.number().finite().nonnegative(),
  rssPeakMB: z.number().finite().nonnegative(),
  rssMeanMB: z.number().finite().nonnegative(),
  /** The highest mean CPU over any 5 s window of the run, k6's start-up left out (run/saturation.ts). */
  cpuWindowPeak: z.number().finite().nonnegative().optional(),
  /** CPU time the processes used between the first and the last sample (s). */
  cpuSeconds: z.number().finite().nonnegative().optional(),
  /** How many processes of this kind were summed (k6 instances). */
  processes: z.number().int().positive(),
  samples: z.number().int().positive(),
});

const BenchmarkResultV2 = z
  .strictObject({
    schemaVersion: z.literal(2),
    /** Operation name: the `name` tag of its requests, e.g. `things.create`. */
    name: z.string().min(1),
    /** Scenario that measured it: its path under scenarios/ without `.ts`. */
    scenario: z.string().min(1),
    /** When the run started, ISO 8601 with offset. */
    timestamp: z.iso.datetime({ offset: true }),
    /** Host the requests named, e.g. `stores.perf.do` (also for the local target; see targetKind). */
    target: z.string().min(1),
    /** `local`: the embedded Worker on loopback; `remote`: a real deployment. History keys on both. */
    targetKind: z.enum(["local", "remote"]),
    /** Requests measured for this operation, failed ones included. */
    iterations: z.number().int().nonnegative(),
    /** Over successful responses only (ms). null when none succeeded: there is no latency to report. */
    latency: LatencySchema.nullable(),
    /** What users would have seen (open model): see CorrectedLatencySchema. Absent before 2026-12-01 and when no request succeeded. */
    corrected: CorrectedLatencySchema.optional(),
    errors: z.number().int().nonnegative(),
    errorRate: z.number().min(0).max(1),
    /** Requests per second over the whole test run. */
    rps: z.number().finite().nonnegative(),
    durationSec: z.number().finite().positive(),
    profile: z.string().min(1),
    coldStart: z.boolean().optional(),
    datasetSize: z.number().int().nonnegative().optional(),
    shardCount: z.number().int().positive().optional(),
    /** Colo the requests asked for (`cf-ipcolo` hint). */
    colo: z.string().optional(),
    /** Tier ladders of this operation's limits (thresholds file), each with the tier its value met. */
    tiers: z.array(TierOutcomeSchema).optional(),
    /** The highest tier every laddered limit met: target, acceptable, or none. */
    tier: z.enum(["target", "acceptable", "none"]).optional(),
    /** The run's readiness tiers (thresholds file `readiness`): each with whether it was met, and the highest met. Same on every line of a run. */
    readiness: z
      .strictObject({
        tier: z.string().nullable(),
        tiers: z.array(z.strictObject({ name: z.string(), met: z.boolean(), misses: z.array(z.string()) })),
      })
      .optional(),
    /** Grafana Cloud k6 load zone the requests came from (`load_zone` tag, from K6_CLOUDRUN_LOAD_ZONE): one line per operation per zone. */
    loadZone: z.string().optional(),
    /** Colo that served most requests: the `cf-ray` suffix, or `local` for the local target. */
    coloServed: z.string().optional(),
    /**
     * Requests refused by an overloaded Durable Object, by kind: queue-count (too many requests
     * queued), queue-bytes (too much data queued), queue-time (queued for too long), rate (too many
     * requests for one object in a 10 s window), other (an overload message not in that list).
     */
    /**
     * Requests sent a second time because the server closed the connection before answering (the
     * keep-alive race, lib/k6/client.ts): counted once in iterations; absent when none.
     */
    retries: z.number().int().positive().optional(),
    overloads: z.partialRecord(z.enum(["queue-count", "queue-bytes", "queue-time", "rate", "other"]), z.number().int().positive()).optional(),
    /** Every colo that served a request, with its count. */
    colosServed: z.record(z.string(), z.number().int().positive()).optional(),
    thresholds: z.array(ThresholdOutcomeSchema),
    /** true when every threshold that applies to this operation held (true when there are none). */
    thresholdsPassed: z.boolean(),
    /**
     * Iterations the run's arrival rate asked for that k6 could not start, every VU being busy:
     * requests the target was never offered (coordinated omission). Same on every line of a run.
     */
    droppedIterations: z.number().int().nonnegative().optional(),
    /** Iterations per second the run asked for (run + dropped) and ran, over the test-run duration. */
    offeredRate: z.number().finite().nonnegative().optional(),
    achievedRate: z.number().finite().nonnegative().optional(),
    /** The VU pool of an open-model run, and where its size came from. */
    vus: z.strictObject({ preAllocated: z.number().int().positive(), max: z.number().int().positive(), sizedBy: z.string() }).optional(),
    /** The run was stopped early (SIGINT/SIGTERM): what it measured up to then. Comparisons skip it by default. */
    interrupted: z.literal(true).optional(),
    /**
     * What cut the run short, with `interrupted`: a signal to perfdo (SIGINT, SIGTERM), k6 killed from
     * outside (its capture up to then is what counts), or the local Worker gone mid-run (requests after
     * that failed against nothing; the numbers describe a target that stopped).
     */
    stoppedBy: z.enum(["SIGINT", "SIGTERM", "k6 killed", "target stopped"]).optional(),
    /** CPU and memory of the load generator (k6) and of the local Worker (workerd), sampled during the run. */
    resources: z.partialRecord(z.enum(["k6", "workerd"]), ProcessResourcesSchema).optional(),
    /**
     * k6 used at least 80 % of the CPU it could use (lib/node/run/saturation.ts): the generator was the
     * bottleneck, and these latencies include its own delay. Same on every line of a run.
     */
    generatorSaturated: z.literal(true).optional(),
    /**
     * The output extension's 50 ms flush ticks: how many ran, how many more than 25 ms late, the worst
     * lag (ms). 10 % late marks the run generatorSaturated. Same on every line of a run.
     */
    generatorTicks: z
      .strictObject({
        count: z.number().int().nonnegative(),
        late: z.number().int().nonnegative(),
        maxLagMs: z.number().nonnegative(),
        /** Share of the run's wall time the generator was behind schedule (every due tick counted). */
        behindShare: z.number().min(0).max(1).optional(),
        /** The same share in the worst 5 s window. */
        worstWindowShare: z.number().min(0).max(1).optional(),
      })
      .optional(),
    /** The sweep (perfdo sweep) this run is a level of: its id (shared by its levels), what it varied, and this level. */
    sweep: z.strictObject({ id: z.string().min(1), kind: z.enum(["rate", "vus"]), level: z.number().positive() }).optional(),
    /** k6 processes (execution segments) merged into this result; absent for a single process. */
    instances: z.number().int().min(2).optional(),
    k6Version: z.string().min(1),
    /** Where the numbers came from: commit, k6, the load's machine, the addresses reached, rehearsal (provenance.ts). Same on every line of a run. */
    provenance: ProvenanceSchema,
    /** Shared by every line of one k6 run. */
    runId: z.string().min(1),
  })
  .refine((r) => r.errors <= r.iterations, { message: "errors exceeds iterations", path: ["errors"] })
  .refine((r) => r.targetKind === "local" || !r.provenance.reachedLoopback || r.provenance.rehearsal, {
    message: "a remote line that reached loopback must be marked a rehearsal",
    path: ["provenance", "rehearsal"],
  })
  .refine((r) => (r.latency === null) === (r.iterations === r.errors), {
    message: "latency must be null exactly when no request succeeded",
    path: ["latency"],
  });

/**
 * A schema 1 line as schema 2: its commit moves into provenance; what was never recorded is said.
 * A local line reached loopback (the local Worker is nowhere else); a remote line's addresses are
 * unknown, so it is never evidence about a deployment (claims/judge.ts needs addresses).
 */
export function migrateLine(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null || (raw as { schemaVersion?: unknown }).schemaVersion !== 1) return raw;
  const { gitCommit, ...line } = raw as Record<string, unknown> & { gitCommit?: unknown; targetKind?: unknown; target?: unknown; k6Version?: unknown };
  const commit = typeof gitCommit === "string" ? gitCommit : undefined;
  const provenance: Provenance = {
    gitCommit: commit?.replace(/-dirty$/, "") || "unknown",
    gitDirty: commit ? commit.endsWith("-dirty") : null,
    k6Version: typeof line.k6Version === "string" && line.k6Version ? line.k6Version : "unknown",
    k6Build: "unknown",
    generators: [],
    target: line.targetKind === "local" ? "local" : typeof line.target === "string" ? line.target : "unknown",
    addresses: [],
    reachedLoopback: line.targetKind === "local",
    reachedPrivate: false,
    rehearsal: false,
    recordedBy: "migrated",
    note: "schema 1 line: the load's machine and the addresses it reached were not recorded",
  };
  return { ...line, schemaVersion: 2, provenance };
}

/** A result line, schema 2; a schema 1 line is migrated first (migrateLine). */
export const BenchmarkResultSchema = z.preprocess(migrateLine, BenchmarkResultV2);

export type BenchmarkResult = z.output<typeof BenchmarkResultV2>;
export type ThresholdOutcome = z.infer<typeof ThresholdOutcomeSchema>;
export type Latency = z.infer<typeof LatencySchema>;
export type CorrectedLatency = z.infer<typeof CorrectedLatencySchema>;
export type ProcessResources = z.infer<typeof ProcessResourcesSchema>;

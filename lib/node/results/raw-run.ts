import { LatencyAccumulator } from "./accumulator";
import { mergeTimelines, operationKey, operationName, type OmissionTimelines } from "./omission";

// What a run's raw output boils down to, whichever format k6 wrote it in (k6's JSON output, read by
// k6-output.ts, or the perfdo output extension's, read by perfdo-output.ts).

export type Tags = Record<string, string>;

export interface OperationSamples {
  name: string;
  host: string | null;
  /** Durations (ms) of responses k6 counted as expected (2xx unless the scenario said otherwise). */
  latency: LatencyAccumulator;
  failures: number;
  /** Of `latency`, the samples that were measured latencies (perfdo_latency, lib/k6/measure.ts), not responses. */
  measured: number;
  /** Tags of the operation's first sample: cold_start, dataset_size, shard_count, colo. */
  tags: Tags;
  colos: Record<string, number>;
  /** Requests refused by an overloaded Durable Object, by kind (perfdo_overload, lib/k6/client.ts). */
  overloads: Record<string, number>;
  /** Requests sent a second time after the server closed the connection before answering (perfdo_connection {name, retry}, lib/k6/client.ts). */
  retries: number;
}

/** What a capture's P line says (tools/k6/output/provenance.go): k6, the load's machine, the harness's word. */
export interface CaptureProvenance {
  k6?: { version?: string; build?: string };
  generator?: { os?: string; arch?: string; cores?: number; gomaxprocs?: number; cpuModel?: string; host?: string; loadZone?: string; pod?: string };
  harness?: Record<string, unknown>;
}

export interface RawRun {
  operations: Map<string, OperationSamples>;
  checks: { passes: number; fails: number };
  /** Iterations k6 ran (k6's `iterations`), and those the arrival rate asked for but no VU was free to start. */
  iterations: number;
  droppedIterations: number;
  /** Iterations by k6 scenario (the `scenario` tag): each operation's share of a dropped one. */
  scenarioIterations: Record<string, number>;
  /** Per scenario: each successful response's send time and latency, and each drop's due time (omission.ts). */
  timelines: OmissionTimelines;
  /** Every response has its own time (false for the pod-log form, whose series are histograms). */
  timed: boolean;
  /**
   * How far behind schedule the output extension's 50 ms flush ticks ran (its T line; null for a
   * capture without one): a k6 short of CPU runs its timers late (run/saturation.ts).
   */
  ticks: { count: number; late: number; maxLagMs: number; behindMs?: number; wallMs?: number; worstWindow?: number } | null;
  /** Time behind schedule by second of the run (W lines), for the window rule of run/saturation.ts. */
  behindBySecond: Map<number, number>;
  /** The addresses responses came from (`ip` or `[ipv6]`, with `:port`), from perfdo_connection {addr, port}. */
  addresses: Set<string>;
  /** One P line per capture that had one (several for merged processes). */
  provenance: CaptureProvenance[];
  /** An arrival-rate run (set by whoever knows how k6 ran it, judge-record.ts); corrected latency applies. */
  openModel?: boolean;
  /** Operation → host, from the `perfdo_host` counter the client emits once per VU and operation. */
  hosts: Map<string, string>;
  /** First and last sample time (ms since epoch) over every operation. */
  firstSampleMs: number | null;
  lastSampleMs: number | null;
  lines: number;
  /**
   * One operation per request name and k6 scenario (a script of the user's own, with scenarios of
   * its own); else per name only: a catalog scenario is one k6 scenario, and its setup() requests
   * join the operation of the same name.
   */
  perScenario?: boolean;
  /** The k6 scenarios run by an arrival-rate executor, when known (a user's script): corrected latency applies to them alone. */
  openScenarios?: readonly string[];
}

export function emptyRawRun(perScenario = false): RawRun {
  return { ...(perScenario ? { perScenario } : {}), operations: new Map(), checks: { passes: 0, fails: 0 }, iterations: 0, droppedIterations: 0, scenarioIterations: {}, timelines: new Map(), timed: true, ticks: null, behindBySecond: new Map(), addresses: new Set(), provenance: [], hosts: new Map(), firstSampleMs: null, lastSampleMs: null, lines: 0 };
}

/**
 * Where a sample ran: its k6 scenario, or, for setup() and teardown() (k6 tags them with no scenario),
 * "setup" or "teardown"; "default" otherwise.
 */
export function scenarioOf(tags: Tags): string {
  if (tags.scenario) return tags.scenario;
  return tags.group === "::setup" ? "setup" : tags.group === "::teardown" ? "teardown" : "default";
}

/** An operation's samples: one per `name`, and per load zone in a Grafana Cloud k6 run (`load_zone` tag), and per scenario (`run.perScenario`). */
export function operation(run: RawRun, tags: Tags): OperationSamples {
  const name = operationName(tags); // once per sample: the key is built from it, not named again
  const key = run.perScenario ? `${operationKey(tags, name)} \u0000${scenarioOf(tags)}` : operationKey(tags, name);
  let op = run.operations.get(key);
  if (!op) {
    op = { name, host: tags.host ?? null, latency: new LatencyAccumulator(), failures: 0, measured: 0, tags: { ...tags }, colos: {}, overloads: {}, retries: 0 };
    run.operations.set(key, op);
  }
  return op;
}

/** The operation names that produced samples (each once, whatever the load zones). */
export function operationNames(run: RawRun): string[] {
  return [...new Set([...run.operations.values()].map((op) => op.name))];
}

/** The union of several runs' samples: the outputs of one distributed run (k6 execution segments). */
export function mergeRawRuns(runs: readonly RawRun[]): RawRun {
  const merged = emptyRawRun(runs.some((r) => r.perScenario));
  for (const run of runs) {
    merged.lines += run.lines;
    merged.checks.passes += run.checks.passes;
    merged.checks.fails += run.checks.fails;
    merged.iterations += run.iterations;
    merged.droppedIterations += run.droppedIterations;
    for (const [scenario, n] of Object.entries(run.scenarioIterations)) merged.scenarioIterations[scenario] = (merged.scenarioIterations[scenario] ?? 0) + n;
    mergeTimelines(merged.timelines, run.timelines);
    merged.timed &&= run.timed;
    if (run.ticks) {
      // Processes ran side by side: their ticks add up; time behind is judged per process (the worst).
      const t = merged.ticks ?? { count: 0, late: 0, maxLagMs: 0 };
      const share = (x: RawRun["ticks"]) => (x?.behindMs !== undefined && x.wallMs ? x.behindMs / x.wallMs : -1);
      const worst = share(run.ticks) > share(t) ? run.ticks : t;
      merged.ticks = { count: t.count + run.ticks.count, late: t.late + run.ticks.late, maxLagMs: Math.max(t.maxLagMs, run.ticks.maxLagMs) };
      if (worst.behindMs !== undefined) Object.assign(merged.ticks, { behindMs: worst.behindMs, wallMs: worst.wallMs });
      const windows = [t.worstWindow, run.ticks.worstWindow].filter((w): w is number => w !== undefined);
      if (windows.length > 0) merged.ticks.worstWindow = Math.max(...windows);
    }
    for (const a of run.addresses) merged.addresses.add(a);
    merged.provenance.push(...run.provenance);
    for (const [name, host] of run.hosts) merged.hosts.set(name, host);
    if (run.firstSampleMs !== null) merged.firstSampleMs = Math.min(merged.firstSampleMs ?? Infinity, run.firstSampleMs);
    if (run.lastSampleMs !== null) merged.lastSampleMs = Math.max(merged.lastSampleMs ?? -Infinity, run.lastSampleMs);
    for (const op of run.operations.values()) {
      const into = operation(merged, op.tags);
      into.latency.merge(op.latency);
      into.failures += op.failures;
      into.measured += op.measured;
      for (const [colo, n] of Object.entries(op.colos)) into.colos[colo] = (into.colos[colo] ?? 0) + n;
      for (const [kind, n] of Object.entries(op.overloads)) into.overloads[kind] = (into.overloads[kind] ?? 0) + n;
      into.retries += op.retries;
    }
  }
  return merged;
}

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readRawOutput } from "../results/k6-output";
import { mergeRawRuns, type RawRun, type Tags } from "../results/raw-run";
import { percentile } from "../results/stats";

// One run seen from inside, second by second, from its raw capture (build/runs/<runId>/raw*.perfdo):
// per operation the requests, errors and p50/p95/p99 of each second; the VU count, dropped
// iterations and failed checks of each second. The output extension writes each response with its
// time and, since it writes them too, each dropped iteration, VU count, failed request and failed
// check (tools/k6/output/output.go). The whole-run figures come from the same read (RawRun), so the
// report's numbers are the result lines' numbers.

/** At most this many points per chart: a longer run's seconds are grouped (`step` seconds per point). */
export const MAX_POINTS = 600;

export interface OperationSecond {
  /** Second of the run the point starts at (0 = the capture's start). */
  s: number;
  /** Counts over the point's `step` seconds; percentiles over its responses. */
  requests: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface RunTimeline {
  runId: string;
  startMs: number;
  seconds: number;
  /** Seconds per point (1 up to MAX_POINTS seconds of run). */
  step: number;
  operations: Array<{ name: string; perSecond: OperationSecond[] }>;
  /** Per point: the most VUs running an iteration k6 reported (each second; null: none reported). */
  vus: Array<number | null>;
  /** The VU pool (k6's vus_max), as vus. */
  vusMax: Array<number | null>;
  /** Per point: counts over its `step` seconds. */
  dropped: number[];
  errors: number[];
  failedChecks: number[];
  /** Bytes k6 sent and received (data_sent, data_received), per point. */
  bytesSent: number[];
  bytesReceived: number[];
  /** Mean per point (ms) of the iteration's duration and of each request phase, over all requests (null: none). */
  means: Record<string, Array<number | null>>;
  /** Failed checks by name over the run. */
  failedCheckNames: Record<string, number>;
  raw: RawRun;
}

/** The capture files of a run folder: raw.perfdo, or raw-<i>.perfdo for each instance of a merged run. */
export function captureFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => /^raw(-\d+)?\.perfdo(\.gz)?$/.test(f));
  return files.sort().map((f) => join(dir, f));
}

const LATENCY = new Set(["http_req_duration", "perfdo_latency"]);

/** Metrics the capture holds as per-second sums (B lines), shown as means: k6's web dashboard's timings. */
export const MEANS = ["iteration_duration", "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking", "http_req_sending", "http_req_waiting", "http_req_receiving"];

const summed = (byInstance: Map<string, number> | undefined): number | null => (byInstance ? [...byInstance.values()].reduce((a, b) => a + b, 0) : null);

export async function readRunTimeline(runId: string, files: readonly string[]): Promise<RunTimeline> {
  if (files.length === 0) throw new Error(`run ${runId}: no perfdo capture (raw.perfdo) to report from`);
  // Seconds are counted from the first capture's start; instances start within a second of each other.
  let startMs = NaN;
  const perOp = new Map<string, Map<number, { values: number[]; requests: number; errors: number }>>();
  // second → instance → VUs (k6 reports each once a second; instances are summed)
  const vus = new Map<number, Map<string, number>>();
  const vusMax = new Map<number, Map<string, number>>();
  const dropped = new Map<number, number>();
  const errors = new Map<number, number>();
  const failedChecks = new Map<number, number>();
  const sent = new Map<number, number>();
  const received = new Map<number, number>();
  const timed = new Map<string, Map<number, { n: number; sum: number }>>(); // metric → second → count, sum
  const failedCheckNames: Record<string, number> = {};
  let last = 0;
  const add = (m: Map<number, number>, s: number, n = 1): void => {
    m.set(s, (m.get(s) ?? 0) + n);
  };
  const runs: RawRun[] = [];
  for (const [instance, file] of files.entries()) {
    const observe = (metric: string, tags: Tags, atMs: number, value: number, n?: number): void => {
      if (Number.isNaN(startMs)) startMs = Math.floor(atMs / 1000) * 1000;
      const s = Math.max(0, Math.floor((atMs - startMs) / 1000));
      if (s > last) last = s;
      if (LATENCY.has(metric)) {
        const name = tags.name ?? tags.url ?? "unnamed";
        let seconds = perOp.get(name);
        if (!seconds) perOp.set(name, (seconds = new Map()));
        let bucket = seconds.get(s);
        if (!bucket) seconds.set(s, (bucket = { values: [], requests: 0, errors: 0 }));
        bucket.requests++;
        if (metric === "http_req_duration" && tags.expected_response === "false") bucket.errors++;
        else bucket.values.push(value);
      } else if (metric === "vus" || metric === "vus_max") {
        const into = metric === "vus" ? vus : vusMax;
        let second = into.get(s);
        if (!second) into.set(s, (second = new Map()));
        second.set(String(instance), Math.max(second.get(String(instance)) ?? 0, value));
      } else if (metric === "dropped_iterations") add(dropped, s, value);
      else if (metric === "data_sent") add(sent, s, value);
      else if (metric === "data_received") add(received, s, value);
      else if (MEANS.includes(metric) && n !== undefined) {
        let seconds = timed.get(metric);
        if (!seconds) timed.set(metric, (seconds = new Map()));
        const b = seconds.get(s) ?? { n: 0, sum: 0 };
        seconds.set(s, { n: b.n + n, sum: b.sum + value });
      }
      else if (metric === "http_req_failed") add(errors, s);
      else if (metric === "checks") {
        add(failedChecks, s);
        const name = tags.check ?? "unnamed check";
        failedCheckNames[name] = (failedCheckNames[name] ?? 0) + 1;
      }
    };
    runs.push(await readRawOutput(file, { observe }));
  }
  const seconds = last + 1;
  const step = Math.max(1, Math.ceil(seconds / MAX_POINTS));
  const points = Array.from({ length: Math.ceil(seconds / step) }, (_, i) => i * step);
  const within = (from: number): number[] => Array.from({ length: Math.min(step, seconds - from) }, (_, k) => from + k);
  const count = (m: Map<number, number>) => points.map((from) => within(from).reduce((n, s) => n + (m.get(s) ?? 0), 0));
  const most = (m: Map<number, Map<string, number>>) =>
    points.map((from) => within(from).reduce<number | null>((top, s) => {
      const v = summed(m.get(s));
      return v === null ? top : Math.max(top ?? 0, v);
    }, null));
  const operations = [...perOp]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, bySecond]) => ({
      name,
      perSecond: points.map((from): OperationSecond => {
        const buckets = within(from).map((s) => bySecond.get(s)).filter((b) => b !== undefined);
        const sorted = new Float64Array(buckets.reduce((n, b) => n + b.values.length, 0));
        let at = 0;
        for (const b of buckets) for (const v of b.values) sorted[at++] = v;
        sorted.sort();
        const pct = (p: number): number | null => (sorted.length > 0 ? percentile(sorted, p) : null);
        const requests = buckets.reduce((n, b) => n + b.requests, 0);
        const errors = buckets.reduce((n, b) => n + b.errors, 0);
        return { s: from, requests, errors, p50: pct(50), p95: pct(95), p99: pct(99) };
      }),
    }));
  return {
    runId,
    startMs,
    seconds,
    step,
    operations,
    vus: most(vus),
    vusMax: most(vusMax),
    dropped: count(dropped),
    errors: count(errors),
    failedChecks: count(failedChecks),
    bytesSent: count(sent),
    bytesReceived: count(received),
    means: Object.fromEntries(
      MEANS.map((metric) => {
        const seconds = timed.get(metric);
        return [
          metric,
          points.map((from) => {
            let n = 0;
            let total = 0;
            for (const s of within(from)) {
              const b = seconds?.get(s);
              if (b) [n, total] = [n + b.n, total + b.sum];
            }
            return n > 0 ? total / n : null;
          }),
        ];
      }),
    ),
    failedCheckNames,
    raw: runs.length === 1 ? (runs[0] as RawRun) : mergeRawRuns(runs),
  };
}

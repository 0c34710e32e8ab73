import { OPEN_MODEL_PROFILES } from "../../k6/profile";
import { LatencyAccumulator } from "./accumulator";

// Latency corrected for coordinated omission: what users would have seen, had the run sent every
// request its arrival rate asked for.
//
// An open-model run (k6's arrival-rate executors) starts each iteration on schedule when a VU is
// free; when every VU is busy, k6 does not queue the iteration, it drops it (dropped_iterations,
// emitted at the moment the iteration was due). So the requests k6 sent started on time and their
// service time is their latency from the intended start; what is missing is the dropped ones, and
// they go missing exactly when the target is slow (every VU is stuck waiting for it).
//
// What a missing user would have seen depends on the target, and two kinds of target behave
// oppositely (docs/results.md, "Corrected latency", with the measurements):
//
//   parallel: the target serves any number at once (a stall holds everyone and releases everyone
//     together; a slow target is slow for each alike). A missing user due at d sees what requests
//     sent around d saw: the latency of the request sent just before d and the one sent just after,
//     interpolated at d. Nothing it does delays anyone else.
//   serial: one request at a time, first come first served (a Durable Object's own work). A missing
//     user queues behind everyone due before it, sent or missing, and delays everyone due after it:
//     the run's requests and the missing ones are replayed through one virtual queue whose service
//     time is the target's own, each leaving at max(when it really left, when the queue frees).
//
// Which kind the run faced is read from its own responses: when a response completes while another
// request is already in flight, a serial target completes the next one a service time later; a
// parallel one, any time (a stall's held responses leave together; a slow target's overlap). The
// median gap between such completions over the operation's fastest latency (its 5th percentile)
// tells them apart: between SERIAL_GAP_SHARE and SERIAL_MAX_GAP_SHARE (and at least
// SERIAL_MIN_GAP_MS) is serial, anything else parallel. With fewer than MIN_OVERLAPS
// overlapping completions the run cannot tell: the line gives the parallel model's value and
// `bounds`, the two models' p95 and p99, the parallel end (no queueing) below, the serial one above.

/** Per scenario of a run: every successful response (its operation, when it was sent, its latency) and every drop. */
export interface ScenarioTimeline {
  /** Operation key (raw-run.ts operationKey) of each response, as an index into `ops`. */
  ops: string[];
  op: number[];
  sentMs: number[];
  latencyMs: number[];
  /** When each dropped iteration was due (ms since epoch). */
  drops: number[];
}

export type OmissionTimelines = Map<string, ScenarioTimeline>;

const emptyTimeline = (): ScenarioTimeline => ({ ops: [], op: [], sentMs: [], latencyMs: [], drops: [] });

/** Streams a capture's responses and drops into per-scenario timelines. */
export class TimelineRecorder {
  readonly timelines: OmissionTimelines = new Map();
  private last: { scenario: string; timeline: ScenarioTimeline } | null = null;

  private of(scenario: string): ScenarioTimeline {
    if (this.last?.scenario === scenario) return this.last.timeline;
    let timeline = this.timelines.get(scenario);
    if (!timeline) this.timelines.set(scenario, (timeline = emptyTimeline()));
    this.last = { scenario, timeline };
    return timeline;
  }

  drop(scenario: string, atMs: number): void {
    this.of(scenario).drops.push(atMs);
  }

  /** A successful response of operation `opKey` that completed at `endMs` after `latencyMs`. */
  response(scenario: string, opKey: string, endMs: number, latencyMs: number): void {
    const t = this.of(scenario);
    let index = t.ops.length > 0 && t.ops[t.ops.length - 1] === opKey ? t.ops.length - 1 : t.ops.indexOf(opKey);
    if (index < 0) index = t.ops.push(opKey) - 1;
    t.op.push(index);
    t.sentMs.push(endMs - latencyMs);
    t.latencyMs.push(latencyMs);
  }
}

/** Several captures of one run (execution segments) as one set of timelines. */
export function mergeTimelines(into: OmissionTimelines, from: OmissionTimelines): void {
  for (const [scenario, t] of from) {
    const target = into.get(scenario) ?? emptyTimeline();
    into.set(scenario, target);
    for (let i = 0; i < t.op.length; i++) {
      const key = t.ops[t.op[i] as number] as string;
      let index = target.ops.indexOf(key);
      if (index < 0) index = target.ops.push(key) - 1;
      target.op.push(index);
      target.sentMs.push(t.sentMs[i] as number);
      target.latencyMs.push(t.latencyMs[i] as number);
    }
    for (const d of t.drops) target.drops.push(d); // not push(...): an overloaded run drops hundreds of thousands
  }
}

export const SERIAL_GAP_SHARE = 0.5;
/**
 * Gaps shorter than this cannot be told from the scheduling jitter of a busy machine (k6 and a
 * target sharing two cores), so they never say serial. What that misses is small: a serial target
 * that fast adds under this much per request queued ahead.
 */
export const SERIAL_MIN_GAP_MS = 10;
/**
 * A serial target starts the next request when the previous leaves, so the gap is about one service
 * time, and a service time is what the fastest requests take (the 5th percentile): a gap far above
 * that is a busy machine's jitter between responses released together, not a queue draining. Seen:
 * a stall's held 2 ms responses arriving 6–15 ms apart with k6 sharing two cores with other test
 * files, read as serial while the bound was 3x the median latency (itself inflated by the same
 * load). Seen over 7 runs of the three-target test, some beside the E2E suites or another copy of
 * itself: median gap / fastest latency 1.01–1.04 for the serial target (20 ms service), 0.11–1.96
 * for the releasing one (gaps 0.2–4.3 ms, under SERIAL_MIN_GAP_MS), 0.05–0.10 for the slow one.
 */
export const SERIAL_MAX_GAP_SHARE = 1.5;
export const MIN_OVERLAPS = 5;

export type TargetKind = "parallel" | "serial" | "unknown";

export interface Correction0 {
  latency: LatencyAccumulator;
  omitted: number;
  target: TargetKind;
  /** When the run cannot tell the kind: p95 and p99 under each model (lo: parallel, hi: serial). */
  bounds?: { p95: [number, number]; p99: [number, number] };
}

export type Correction = ({ applies: true } & Correction0) | { applies: false; reason: string };

export const NOT_OPEN_MODEL = "closed model: VUs wait for each other, no request was due at a time of its own";
export const NO_TIMES = "the capture holds histograms, not each response's time (the pod-log form)";

/** Responses sorted by when they were sent. */
interface Sent {
  at: Float64Array;
  latency: Float64Array;
}

function sentOf(t: ScenarioTimeline, opKey: string): Sent {
  const index = t.ops.indexOf(opKey);
  const order: number[] = [];
  for (let i = 0; i < t.op.length; i++) if (t.op[i] === index) order.push(i);
  order.sort((a, b) => (t.sentMs[a] as number) - (t.sentMs[b] as number));
  return { at: Float64Array.from(order, (i) => t.sentMs[i] as number), latency: Float64Array.from(order, (i) => t.latencyMs[i] as number) };
}

/** The operation's share of the scenario's drops: one due time per missing request of this operation. */
function missingOf(t: ScenarioTimeline, share: number): number[] {
  const due = [...t.drops].sort((a, b) => a - b);
  const out: number[] = [];
  let carry = 0;
  for (const d of due) {
    carry += share;
    for (; carry >= 1 - 1e-9; carry -= 1) out.push(d);
  }
  return out;
}

/** Index of the first response sent after `d` (binary search). */
function firstAfter(at: Float64Array, d: number): number {
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((at[mid] as number) <= d) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Parallel model: the latency requests sent around `d` saw, interpolated at `d`. */
export function interpolated(sent: Sent, d: number, floor: number): number {
  const next = firstAfter(sent.at, d);
  const prev = next - 1;
  if (prev < 0) return sent.latency[0] as number;
  const aPrev = sent.at[prev] as number;
  const lPrev = sent.latency[prev] as number;
  if (next >= sent.at.length) return Math.max(floor, aPrev + lPrev - d); // past the last send: until it completed
  const aNext = sent.at[next] as number;
  const lNext = sent.latency[next] as number;
  if (aNext === aPrev) return lPrev;
  return lPrev + ((lNext - lPrev) * (d - aPrev)) / (aNext - aPrev);
}

/**
 * The target's kind from overlapping completions: the median gap between a completion and the next
 * one of a request already in flight, over the operation's fast latency. Also the serial service
 * time estimate (that median gap).
 */
export function targetKindOf(sent: Sent, fastMs: number): { kind: TargetKind; serviceMs: number } {
  const n = sent.at.length;
  const byEnd = Array.from({ length: n }, (_, i) => i).sort((a, b) => (sent.at[a] as number) + (sent.latency[a] as number) - ((sent.at[b] as number) + (sent.latency[b] as number)));
  const gaps: number[] = [];
  for (let k = 0; k + 1 < n; k++) {
    const i = byEnd[k] as number;
    const j = byEnd[k + 1] as number;
    const endI = (sent.at[i] as number) + (sent.latency[i] as number);
    if ((sent.at[j] as number) < endI) gaps.push((sent.at[j] as number) + (sent.latency[j] as number) - endI);
  }
  if (gaps.length < MIN_OVERLAPS || !(fastMs > 0)) return { kind: "unknown", serviceMs: fastMs };
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1] as number;
  const serial = median >= SERIAL_GAP_SHARE * fastMs && median <= SERIAL_MAX_GAP_SHARE * fastMs && median >= SERIAL_MIN_GAP_MS;
  return serial ? { kind: "serial", serviceMs: median } : { kind: "parallel", serviceMs: fastMs };
}

/** Serial model: the sent and the missing requests through one FIFO queue served `serviceMs` each. */
export function serialLatencies(sent: Sent, missing: readonly number[], floor: number, serviceMs: number, record: (ms: number) => void): void {
  let s = 0;
  let m = 0;
  let free = -Infinity;
  while (s < sent.at.length || m < missing.length) {
    const takeSent = m >= missing.length || (s < sent.at.length && (sent.at[s] as number) <= (missing[m] as number));
    if (takeSent) {
      const at = sent.at[s] as number;
      const end = Math.max(at + (sent.latency[s] as number), free + serviceMs);
      record(end - at);
      free = end;
      s++;
    } else {
      const d = missing[m] as number;
      const end = Math.max(d + interpolated(sent, d, floor), free + serviceMs);
      record(end - d);
      free = end;
      m++;
    }
  }
}

/**
 * An operation's corrected latency. `share`: the operation's requests per iteration of its scenario
 * (each drop stands for that many missing requests of it).
 */
export function correctLatency(op: { latency: LatencyAccumulator; key: string }, timeline: ScenarioTimeline | undefined, share: number): Correction0 {
  const service = new LatencyAccumulator();
  service.merge(op.latency);
  const fast = op.latency.percentile(5);
  if (!timeline || timeline.drops.length === 0 || fast === null || !(share > 0)) return { latency: service, omitted: 0, target: "unknown" };
  const sent = sentOf(timeline, op.key);
  const missing = missingOf(timeline, share);
  if (sent.at.length === 0 || missing.length === 0) return { latency: service, omitted: 0, target: "unknown" };
  const floor = op.latency.percentile(50) ?? fast;
  const { kind, serviceMs } = targetKindOf(sent, fast);
  const parallel = (): LatencyAccumulator => {
    const acc = new LatencyAccumulator();
    acc.merge(op.latency);
    for (const d of missing) acc.record(interpolated(sent, d, floor));
    return acc;
  };
  const serial = (): LatencyAccumulator => {
    const acc = new LatencyAccumulator();
    serialLatencies(sent, missing, floor, serviceMs, (ms) => acc.record(ms));
    return acc;
  };
  if (kind === "serial") return { latency: serial(), omitted: missing.length, target: kind };
  const lo = parallel();
  if (kind === "parallel") return { latency: lo, omitted: missing.length, target: kind };
  const hi = serial();
  const pair = (p: number): [number, number] => [lo.percentile(p) ?? 0, Math.max(lo.percentile(p) ?? 0, hi.percentile(p) ?? 0)];
  return { latency: lo, omitted: missing.length, target: kind, bounds: { p95: pair(95), p99: pair(99) } };
}

/** The key an operation's samples are kept under (raw-run.ts `operation`): its name, and its load zone. */
export const operationKey = (tags: Record<string, string>, name: string = operationName(tags)): string =>
  tags.load_zone ? `${name} @ ${tags.load_zone}` : name;

/**
 * An operation's name: its requests' `name` tag. A request given no name carries its URL there (k6's
 * default): such requests are grouped by method and path, without origin or query string
 * (`GET /api/v1/items`), so a new port or a random id in the query makes no new operation.
 */
export function operationName(tags: Record<string, string>): string {
  const name = tags.name ?? tags.url ?? "unnamed";
  if (name !== tags.url || !/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return name;
  const path = name.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").replace(/[?#].*$/, "") || "/";
  return tags.method ? `${tags.method} ${path}` : path;
}

/**
 * The correction of one operation of a run: it applies to an open-model run whose capture times
 * every response. An arrival-rate run: `run.openModel` (perfdo run knows), or a capture that holds
 * drops, or a k6 scenario named after an open-model profile (how an ingested capture tells). A
 * script of the user's own names its arrival-rate scenarios (`openScenarios`, read with k6 inspect):
 * then only their operations are corrected, whatever the others did.
 */
export function correctionOf(
  run: { timelines: OmissionTimelines; scenarioIterations: Record<string, number>; droppedIterations: number; timed: boolean; openModel?: boolean; openScenarios?: readonly string[] },
  op: { latency: LatencyAccumulator; tags: Record<string, string> },
): Correction {
  const open = run.openScenarios
    ? run.openScenarios.includes(op.tags.scenario ?? "")
    : run.openModel || run.droppedIterations > 0 || OPEN_MODEL_PROFILES.includes(op.tags.scenario ?? "");
  if (!open) return { applies: false, reason: NOT_OPEN_MODEL };
  if (!run.timed) return { applies: false, reason: NO_TIMES };
  const scenario = op.tags.scenario ?? "";
  const iterations = run.scenarioIterations[scenario] ?? 0;
  const share = iterations > 0 ? op.latency.count / iterations : 0;
  return { applies: true, ...correctLatency({ latency: op.latency, key: operationKey(op.tags) }, run.timelines.get(scenario), share) };
}

import { OPEN_MODEL_PROFILES } from "../../k6/profile";
import { LatencyAccumulator } from "./accumulator";

// Latency corrected for coordinated omission: what users would have seen, had the run sent every
// request its arrival rate asked for.
//
// An open-model run (k6's arrival-rate executors) starts each iteration on schedule when a VU is
// free; when every VU is busy, k6 does not queue the iteration, it drops it (dropped_iterations,
// emitted at the moment the iteration was due). So the requests k6 sent started on time and their
// service time is their latency from the intended start; what is missing is the dropped ones, and
// they go missing exactly when the target is slow (every VU is stuck waiting for it). Those are the
// users a report of service times forgets.
//
// The model ("drop-wait"): a dropped iteration's user waits from when it was due until a VU of its
// scenario was next free (the first response of that scenario that completed after the drop), then
// takes the operation's median service time. Its requests are back-filled with that latency, as many
// per dropped iteration as the scenario's iterations made of the operation on average. It is a lower
// bound: it assumes the freed VU serves every waiting user at once, not one after another.
//
// Why not wrk2's back-fill (HdrHistogram's recordValueWithExpectedInterval, which adds L−I, L−2I, …
// for a latency L above the expected interval I): it infers how many requests a stuck connection
// failed to send from a fixed per-connection rate; k6's VUs have no fixed rate (any free VU takes the
// next iteration), and k6 records every omission itself, with its time. docs/results.md says more.

export interface DropWait {
  scenario: string;
  /** ms from when the iteration was due to when a VU of its scenario was next free. */
  waitMs: number;
}

/**
 * Streams a capture's drops and responses into each drop's wait. Each scenario keeps its unanswered
 * drops in order; a response resolves every one due before it, once, so a run of many drops costs
 * no more than one of few. The capture is in time order up to k6's output buffering (tens of ms).
 */
export class DropWaits {
  readonly waits: DropWait[] = [];
  /** Per scenario: drop times in order, and the first not yet answered (a queue without shifting). */
  private readonly pending = new Map<string, { at: number[]; head: number }>();
  private unanswered = 0;

  drop(scenario: string, atMs: number): void {
    let queue = this.pending.get(scenario);
    if (!queue) this.pending.set(scenario, (queue = { at: [], head: 0 }));
    queue.at.push(atMs);
    this.unanswered++;
  }

  /** A response of `scenario` completed at `atMs`: a VU of it was free then. */
  completion(scenario: string, atMs: number): void {
    if (this.unanswered === 0) return;
    const queue = this.pending.get(scenario);
    if (!queue) return;
    const { at } = queue;
    while (queue.head < at.length && (at[queue.head] as number) < atMs) {
      this.waits.push({ scenario, waitMs: atMs - (at[queue.head] as number) });
      queue.head++;
      this.unanswered--;
    }
    if (queue.head === at.length) {
      at.length = 0;
      queue.head = 0;
    }
  }

  /** A drop no response followed waited at least until the run ended. */
  finish(endMs: number): DropWait[] {
    for (const [scenario, queue] of this.pending) for (const at of queue.at.slice(queue.head)) this.waits.push({ scenario, waitMs: Math.max(0, endMs - at) });
    this.pending.clear();
    this.unanswered = 0;
    return this.waits;
  }
}

export type Correction =
  | { applies: true; latency: LatencyAccumulator; omitted: number }
  | { applies: false; reason: string };

export const NOT_OPEN_MODEL = "closed model: VUs wait for each other, no request was due at a time of its own";
export const NO_TIMES = "the capture holds histograms, not each response's time (the pod-log form)";

/**
 * An operation's corrected latency: its successful responses plus one back-filled value per
 * omitted request. `iterations`: what the operation's scenario ran (its share of each drop).
 */
export function correctLatency(
  op: { latency: LatencyAccumulator; scenario: string },
  waits: readonly DropWait[],
  scenarioIterations: number,
): { latency: LatencyAccumulator; omitted: number } {
  const latency = new LatencyAccumulator();
  latency.merge(op.latency);
  const median = op.latency.percentile(50);
  if (median === null || scenarioIterations <= 0) return { latency, omitted: 0 };
  const share = op.latency.count / scenarioIterations;
  let carry = 0;
  let omitted = 0;
  for (const w of waits) {
    if (w.scenario !== op.scenario) continue;
    carry += share;
    for (; carry >= 1 - 1e-9; carry -= 1) {
      latency.record(w.waitMs + median);
      omitted++;
    }
  }
  return { latency, omitted };
}

/**
 * The correction of one operation of a run: it applies to an open-model run whose capture times
 * every response. An arrival-rate run: `run.openModel` (perfdo run knows), or a capture that holds
 * drops, or a k6 scenario named after an open-model profile (how an ingested capture tells).
 */
export function correctionOf(
  run: { dropWaits: readonly DropWait[]; scenarioIterations: Record<string, number>; droppedIterations: number; timed: boolean; openModel?: boolean },
  op: { latency: LatencyAccumulator; tags: Record<string, string> },
): Correction {
  const open = run.openModel || run.droppedIterations > 0 || OPEN_MODEL_PROFILES.includes(op.tags.scenario ?? "");
  if (!open) return { applies: false, reason: NOT_OPEN_MODEL };
  if (!run.timed) return { applies: false, reason: NO_TIMES };
  const scenario = op.tags.scenario ?? "";
  return { applies: true, ...correctLatency({ latency: op.latency, scenario }, run.dropWaits, run.scenarioIterations[scenario] ?? 0) };
}

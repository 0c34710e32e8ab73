import { K6_THRESHOLDS_FAILED } from "./run";

// One run split over several k6 processes, each an execution segment of the same sequence: the one
// way `perfdo run --instances N`, the k6-operator rehearsal and the Grafana Cloud zone rehearsal
// split, start-and-wait and judge their processes. How each process is spawned differs (the
// rehearsal runs a pod's exact command line); the split and the verdict on exit codes do not.

export interface Segment {
  /** `--execution-segment`, e.g. `1/3:2/3`. */
  segment: string;
  /** `--execution-segment-sequence`, shared by every segment of the run, e.g. `0,1/3,2/3,1`. */
  sequence: string;
}

/**
 * Segments in proportion to `weights`: `[1, 1, 1]` gives thirds (as k6-operator splits runners),
 * `[60, 40]` gives `0:60/100` and `60/100:1` (a cloud run's zone percentages).
 */
export function segmentsOf(weights: readonly number[]): Segment[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const bounds = [0];
  for (const w of weights) bounds.push((bounds[bounds.length - 1] as number) + w);
  const point = (b: number): string => (b === 0 ? "0" : b === total ? "1" : `${b}/${total}`);
  const sequence = bounds.map(point).join(",");
  return weights.map((_, i) => ({ segment: `${point(bounds[i] as number)}:${point(bounds[i + 1] as number)}`, sequence }));
}

/** `n` equal segments (i/n:(i+1)/n of `0,1/n,…,1`). */
export const equalSegments = (n: number): Segment[] => segmentsOf(Array.from({ length: n }, () => 1));

/** k6 run's flags for one segment. */
export const segmentFlags = (s: Segment): string[] => [`--execution-segment=${s.segment}`, `--execution-segment-sequence=${s.sequence}`];

/** A run completed when k6 exits 0, or 99 (thresholds crossed: the run is whole, its results valid). */
export const completed = (code: number): boolean => code === 0 || code === K6_THRESHOLDS_FAILED;

/** Waits for every process of a run; `failed` are the exit codes of those that did not complete. */
export async function awaitSegments(processes: ReadonlyArray<{ exited: Promise<number> }>): Promise<{ codes: number[]; failed: number[]; thresholdsCrossed: boolean }> {
  const codes = await Promise.all(processes.map((p) => p.exited));
  return { codes, failed: codes.filter((c) => !completed(c)), thresholdsCrossed: codes.includes(K6_THRESHOLDS_FAILED) };
}

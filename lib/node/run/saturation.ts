import { availableParallelism } from "node:os";
import type { ProcessResources } from "../results/schema";

// Is the generator the bottleneck? A k6 that spends most of the CPU it can use is measuring itself:
// its timers fire late and its requests leave late, so latencies include its own delay. The run's
// lines then say `generatorSaturated: true`, the table says so, and `--gate` refuses the run
// (Locust warns on the same condition). "What it can use": GOMAXPROCS when set (k6 is a Go
// program), else the machine's cores, summed over k6 processes but never beyond the machine.
//
// Or its ticks fall behind schedule: the output extension times its own 50 ms flush ticks (T line,
// tools/k6/output/output.go). A k6 short of CPU, whether its own load or the machine's, runs every
// timer late, its arrival-rate schedule included. Measured here (5 s of network/echo): healthy runs at
// 20–400 it/s had 0 ticks more than 25 ms late (worst 1–3 ms); k6 held to one core at 1,500 it/s,
// 14 % late (worst 75 ms); three runs of 400 it/s at once on 2 cores, 6–18 % late (worst 110–390 ms).
// A run with LATE_TICKS_SHARE of its ticks late is saturated, whatever its CPU figure says, once it
// ran MIN_TICKS ticks (5 s): a smoke run of a few ticks beside other tests had 1 of 4 late, which is
// one hiccup, not a schedule falling behind (it failed --gate in npm test).

/** The share of its CPU above which k6 counts as saturated (mean over the run). */
export const SATURATED_SHARE = 0.8;

/** CPU k6 can use, in % of one core. */
export function generatorCapacityPct(env: NodeJS.ProcessEnv, instances = 1, cores = availableParallelism()): number {
  const gomaxprocs = Math.trunc(Number(env.GOMAXPROCS));
  const perProcess = Number.isFinite(gomaxprocs) && gomaxprocs > 0 ? Math.min(gomaxprocs, cores) : cores;
  return Math.min(cores, perProcess * Math.max(1, instances)) * 100;
}

/** The share of flush ticks more than 25 ms late above which k6 counts as saturated. */
export const LATE_TICKS_SHARE = 0.1;

// Time lost, not ticks counted: every tick that was due counts, the ones Go's ticker dropped too
// (tools/k6/output/ticks.go), and the time from when each was due to when it ran is time the
// generator was behind. A k6 stopped 1 s in every 5 s is behind a fifth of the run (0.19 in the Go
// test); a healthy run here was behind 0.2–1 % of its time. The run is saturated when it was behind
// BEHIND_SHARE of its wall time, or WINDOW_BEHIND_SHARE of any WINDOW_SECONDS window: one long
// freeze in a long run hides in the mean, not in its window.
export const BEHIND_SHARE = 0.1;
export const WINDOW_SECONDS = 5;
export const WINDOW_BEHIND_SHARE = 0.3;

export type Ticks = { count: number; late: number; maxLagMs: number; behindShare?: number; worstWindowShare?: number } | null | undefined;

/** Fewer ticks than this (5 s of run) say too little to mark a run. */
export const MIN_TICKS = 100;

// Judged by time lost when the capture has it; the share of late ticks only for older captures
// without it: counting every due tick as late makes a few 250 ms hiccups of a busy machine 14 % of
// the ticks (a fresh clone's npm test) while they lost 7 % of the time.
export const ticksBehind = (ticks: Ticks): boolean =>
  !!ticks &&
  ticks.count >= MIN_TICKS &&
  (ticks.behindShare !== undefined
    ? ticks.behindShare >= BEHIND_SHARE || (ticks.worstWindowShare ?? 0) >= WINDOW_BEHIND_SHARE
    : ticks.late / ticks.count >= LATE_TICKS_SHARE);

/** The largest share of any WINDOW_SECONDS window spent behind schedule (ms behind by second of the run). */
export function worstWindowShare(behindBySecond: ReadonlyMap<number, number>): number {
  let worst = 0;
  for (const start of behindBySecond.keys()) {
    let sum = 0;
    for (let s = start; s < start + WINDOW_SECONDS; s++) sum += behindBySecond.get(s) ?? 0;
    worst = Math.max(worst, sum / (WINDOW_SECONDS * 1000));
  }
  return Math.min(1, worst);
}

/**
 * CPU judged by windows too: the run's mean hides a stretch at the ceiling. A WINDOW_SECONDS window
 * whose mean reaches WINDOW_CPU_SHARE of what k6 can use marks the run (`cpuWindowPeak`, the highest
 * such mean, from run/resources.ts's samples once a second, k6's start-up seconds left out).
 */
export const WINDOW_CPU_SHARE = 0.95;

export function isSaturated(k6: ProcessResources | undefined, capacityPct: number | undefined, ticks?: Ticks): boolean {
  if (ticksBehind(ticks)) return true;
  if (k6 === undefined || capacityPct === undefined || capacityPct <= 0) return false;
  return k6.cpuMean >= SATURATED_SHARE * capacityPct || (k6.cpuWindowPeak ?? 0) >= WINDOW_CPU_SHARE * capacityPct;
}

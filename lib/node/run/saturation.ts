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

export type Ticks = { count: number; late: number; maxLagMs: number } | null | undefined;

/** Fewer ticks than this (5 s of run) say too little to mark a run. */
export const MIN_TICKS = 100;

export const ticksBehind = (ticks: Ticks): boolean => !!ticks && ticks.count >= MIN_TICKS && ticks.late / ticks.count >= LATE_TICKS_SHARE;

export function isSaturated(k6: ProcessResources | undefined, capacityPct: number | undefined, ticks?: Ticks): boolean {
  return ticksBehind(ticks) || (k6 !== undefined && capacityPct !== undefined && capacityPct > 0 && k6.cpuMean >= SATURATED_SHARE * capacityPct);
}

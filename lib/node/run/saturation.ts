import { availableParallelism } from "node:os";
import type { ProcessResources } from "../results/schema";

// Is the generator the bottleneck? A k6 that spends most of the CPU it can use is measuring itself:
// its timers fire late and its requests leave late, so latencies include its own delay. The run's
// lines then say `generatorSaturated: true`, the table says so, and `--gate` refuses the run
// (Locust warns on the same condition). "What it can use": GOMAXPROCS when set (k6 is a Go
// program), else the machine's cores, summed over k6 processes but never beyond the machine.

/** The share of its CPU above which k6 counts as saturated (mean over the run). */
export const SATURATED_SHARE = 0.8;

/** CPU k6 can use, in % of one core. */
export function generatorCapacityPct(env: NodeJS.ProcessEnv, instances = 1, cores = availableParallelism()): number {
  const gomaxprocs = Math.trunc(Number(env.GOMAXPROCS));
  const perProcess = Number.isFinite(gomaxprocs) && gomaxprocs > 0 ? Math.min(gomaxprocs, cores) : cores;
  return Math.min(cores, perProcess * Math.max(1, instances)) * 100;
}

export function isSaturated(k6: ProcessResources | undefined, capacityPct: number | undefined): boolean {
  return k6 !== undefined && capacityPct !== undefined && capacityPct > 0 && k6.cpuMean >= SATURATED_SHARE * capacityPct;
}

import { readdirSync, readFileSync } from "node:fs";
import type { ProcessResources } from "../results/schema";
import { WINDOW_SECONDS } from "./saturation";

// CPU and memory of the processes of a run, sampled from /proc once a second: the load generator
// (k6, every instance summed) and the local Worker (workerd). A load test whose generator is pinned
// at 100 % CPU measures the generator, so results record it. Linux only (/proc); elsewhere the
// sampler records nothing and results carry no `resources`.

export type ProcessKind = "k6" | "workerd";

/** Samples left out of the CPU windows: k6 parses the script and makes its VUs before the schedule starts. */
const STARTUP_SAMPLES = 2;

/** The highest mean of WINDOW_SECONDS consecutive per-second samples. */
export function windowPeak(cpu: readonly number[]): number {
  let best = 0;
  for (let i = 0; i + WINDOW_SECONDS <= cpu.length; i++) {
    let sum = 0;
    for (let j = i; j < i + WINDOW_SECONDS; j++) sum += cpu[j] as number;
    best = Math.max(best, sum / WINDOW_SECONDS);
  }
  return best;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux ABI Node runs on
const PAGE_KB = 4;

interface Reading {
  ticks: number;
  rssKB: number;
}

/** utime + stime (clock ticks) and resident set size of one process; null once it is gone. */
export function readProc(pid: number): Reading | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start past the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const rssPages = Number(fields[21]); // rss (field 24)
    if (!Number.isFinite(ticks) || !Number.isFinite(rssPages)) return null;
    return { ticks, rssKB: rssPages * PAGE_KB };
  } catch {
    return null;
  }
}

/** Children of `parent` whose command is `name` (workerd, started by miniflare inside this process). */
export function childrenNamed(parent: number, name: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === name && ppid === parent) found.push(Number(entry));
    } catch {
      // the process ended while the list was read
    }
  }
  return found;
}

interface Series {
  cpu: number[];
  rssMB: number[];
  processes: number;
}

export interface ResourceSampler {
  stop(): Partial<Record<ProcessKind, ProcessResources>>;
}

/** Samples the processes `pids()` names every `intervalMs` until stopped. */
export function sampleResources(pids: () => Partial<Record<ProcessKind, number[]>>, intervalMs = 1000): ResourceSampler {
  const previous = new Map<number, { ticks: number; at: number }>();
  const first = new Map<number, { kind: ProcessKind; ticks: number }>();
  const series = new Map<ProcessKind, Series>();
  const tick = (): void => {
    const now = performance.now();
    for (const [kind, list] of Object.entries(pids()) as Array<[ProcessKind, number[]]>) {
      let cpu = 0;
      let rssKB = 0;
      let measured = 0;
      let seen = 0;
      for (const pid of list) {
        const r = readProc(pid);
        if (!r) continue;
        seen++;
        rssKB += r.rssKB;
        if (!first.has(pid)) first.set(pid, { kind, ticks: r.ticks });
        const before = previous.get(pid);
        previous.set(pid, { ticks: r.ticks, at: now });
        if (!before || now <= before.at) continue;
        cpu += ((r.ticks - before.ticks) / TICKS_PER_SECOND / ((now - before.at) / 1000)) * 100;
        measured++;
      }
      if (seen === 0) continue;
      const s = series.get(kind) ?? { cpu: [], rssMB: [], processes: 0 };
      s.processes = Math.max(s.processes, seen);
      s.rssMB.push(rssKB / 1024);
      if (measured > 0) s.cpu.push(cpu);
      series.set(kind, s);
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  const round = (x: number): number => Math.round(x * 10) / 10;
  const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    stop() {
      clearInterval(timer);
      tick();
      const out: Partial<Record<ProcessKind, ProcessResources>> = {};
      const cpuSeconds = (kind: ProcessKind): number => {
        let ticks = 0;
        for (const [pid, f] of first) if (f.kind === kind) ticks += (previous.get(pid)?.ticks ?? f.ticks) - f.ticks;
        return Math.round((ticks / TICKS_PER_SECOND) * 100) / 100;
      };
      for (const [kind, s] of series) {
        if (s.rssMB.length === 0) continue;
        out[kind] = {
          cpuPeak: round(Math.max(0, ...s.cpu)),
          cpuMean: round(mean(s.cpu)),
          ...(s.cpu.length >= STARTUP_SAMPLES + WINDOW_SECONDS ? { cpuWindowPeak: round(windowPeak(s.cpu.slice(STARTUP_SAMPLES))) } : {}),
          rssPeakMB: round(Math.max(...s.rssMB)),
          rssMeanMB: round(mean(s.rssMB)),
          cpuSeconds: cpuSeconds(kind),
          processes: s.processes,
          samples: s.rssMB.length,
        };
      }
      return out;
    },
  };
}

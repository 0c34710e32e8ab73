// Load profiles: named shapes of load that every scenario can run under. Open model (arrival rate)
// by default, so a slow target does not quietly lower the load it is offered.
// Pure: the same functions build k6 options inside k6 and are unit-tested in Node.

import { formatDuration, parseDuration } from "./duration";

export const PROFILE_NAMES = ["smoke", "ramp", "sustain", "spike", "stress", "soak"] as const;
/** The profiles run by an arrival rate (open model; buildProfile): the k6 scenario is named after its profile. */
export const OPEN_MODEL_PROFILES: readonly string[] = ["sustain", "spike", "stress", "soak"];
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** What a user may override from the CLI or env without editing code. */
export interface ProfileOverrides {
  rate?: number; // iterations per second (arrival-rate profiles); the base rate for spike/stress
  peakRate?: number; // spike peak / stress top step
  duration?: string; // whole run
  vus?: number; // closed-model VUs (smoke, ramp) or pre-allocated VUs (open model)
  maxVUs?: number;
  iterations?: number; // smoke only
}

/**
 * The one table of profile overrides and the `PERFDO_*` env each travels in: read here by every k6
 * script, and by the CLI (lib/node/cmds/script-env.ts) to turn flags into that env.
 */
export const OVERRIDE_ENV: { readonly [K in keyof Required<ProfileOverrides>]: string } = {
  rate: "PERFDO_RATE",
  peakRate: "PERFDO_PEAK_RATE",
  duration: "PERFDO_DURATION",
  vus: "PERFDO_VUS",
  maxVUs: "PERFDO_MAX_VUS",
  iterations: "PERFDO_ITERATIONS",
};

/**
 * What the open model's VU pool is sized from when no VU counts are given (Little's law: VUs in
 * flight = arrival rate × time an iteration takes). `expectedMs`: an iteration's p99 as measured
 * before (the history); `ceilingMs`: the longest an iteration may take and still pass (the
 * thresholds' p99 limits, summed over the operations it makes).
 */
export interface IterationTime {
  expectedMs?: number;
  ceilingMs?: number;
}

/** Pre-allocated VUs cover twice the expected need plus a stall, the maximum four times it (and at least the need at the ceiling). */
export const VU_HEADROOM = { preAllocated: 2, max: 4 } as const;
/**
 * A stall every healthy local run has (a GC pause in k6 or workerd, a SQLite checkpoint): k6 drops
 * every iteration due while all pre-allocated VUs are busy, so the pool covers this long at the full
 * rate on top of the iterations in flight. 300 ms: the longest iteration time seen in healthy
 * `npm start` runs here (docs/thresholds.md, "Coordinated omission"), where 12 VUs at 100 it/s (a 120 ms stall)
 * dropped 1–42 iterations a run.
 */
export const STALL_ALLOWANCE_MS = 300;
/** Upper bounds for VUs sized automatically: every VU costs k6 memory; name more with --max-vus. */
export const VU_CAP = { preAllocated: 1000, max: 2000 } as const;

/** A k6 scenario definition (the subset of k6's executors the profiles use). */
export type ProfileScenario =
  | { executor: "per-vu-iterations"; vus: number; iterations: number; maxDuration: string }
  | { executor: "ramping-vus"; startVUs: number; stages: Stage[]; gracefulRampDown: string }
  | { executor: "constant-arrival-rate"; rate: number; timeUnit: string; duration: string; preAllocatedVUs: number; maxVUs: number }
  | { executor: "ramping-arrival-rate"; startRate: number; timeUnit: string; stages: Stage[]; preAllocatedVUs: number; maxVUs: number };

export interface Stage {
  duration: string;
  target: number;
}

export interface ProfileDefaults {
  rate: number;
  peakRate: number;
  duration: string;
  vus: number;
  maxVUs: number;
  iterations: number;
}

/** Defaults sized for a 2-core machine running both k6 and the local Worker. */
export const DEFAULTS: Record<ProfileName, ProfileDefaults> = {
  smoke: { rate: 1, peakRate: 1, duration: "1m", vus: 1, maxVUs: 1, iterations: 10 },
  ramp: { rate: 0, peakRate: 0, duration: "90s", vus: 20, maxVUs: 20, iterations: 0 },
  sustain: { rate: 100, peakRate: 100, duration: "1m", vus: 10, maxVUs: 100, iterations: 0 },
  spike: { rate: 50, peakRate: 500, duration: "1m", vus: 20, maxVUs: 300, iterations: 0 },
  stress: { rate: 50, peakRate: 1000, duration: "5m", vus: 20, maxVUs: 500, iterations: 0 },
  soak: { rate: 50, peakRate: 50, duration: "30m", vus: 10, maxVUs: 100, iterations: 0 },
};

const STRESS_STEPS = 5;

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

function positive(label: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${label} must be a positive number, got ${value}`);
  return value;
}

/**
 * The longest an iteration may take and pass its thresholds: per operation, its highest latency
 * limit (p99 if set, else the highest percentile or max), summed over the operations named. Reads
 * the compiled k6 thresholds (`http_req_duration{name:X,…}: ["p(99)<500", …]`).
 */
export function iterationCeilingMs(thresholds: Record<string, ReadonlyArray<string | { threshold: string }>>): number | undefined {
  let sum = 0;
  for (const [key, list] of Object.entries(thresholds)) {
    if (!key.startsWith("http_req_duration{") || !key.includes("name:")) continue;
    let limit = 0;
    for (const entry of list) {
      const m = /^(?:p\((\d+(?:\.\d+)?)\)|max)\s*<=?\s*(\d+(?:\.\d+)?)$/.exec((typeof entry === "string" ? entry : entry.threshold).trim());
      if (m) limit = Math.max(limit, Number(m[2]));
    }
    sum += limit;
  }
  return sum > 0 ? sum : undefined;
}

const clamp = (n: number, low: number, high: number): number => Math.min(high, Math.max(low, n));

/**
 * Open-model VU counts for a rate: the profile's defaults are the floor, raised by Little's law
 * from the iteration time when one is known. Given counts (flags, env) are never changed.
 */
export function sizeVUs(
  d: Pick<ProfileDefaults, "vus" | "maxVUs">,
  rate: number,
  peakRate: number,
  time: IterationTime = {},
): { preAllocated: number; max: number } {
  const need = (perSecond: number, ms: number, headroom: number): number => Math.ceil((perSecond * ms * headroom) / 1000);
  const stall = need(rate, STALL_ALLOWANCE_MS, 1);
  let preAllocated = clamp(stall, d.vus, VU_CAP.preAllocated);
  let max = d.maxVUs;
  if (time.expectedMs !== undefined && time.expectedMs > 0) {
    preAllocated = clamp(need(rate, time.expectedMs, VU_HEADROOM.preAllocated) + stall, d.vus, VU_CAP.preAllocated);
    max = need(peakRate, time.expectedMs, VU_HEADROOM.max) + need(peakRate, STALL_ALLOWANCE_MS, 1);
  }
  if (time.ceilingMs !== undefined && time.ceilingMs > 0) max = Math.max(max, need(peakRate, time.ceilingMs, 1));
  return { preAllocated, max: clamp(max, Math.max(preAllocated, d.maxVUs), VU_CAP.max) };
}

/** Builds the k6 scenario for a profile. Throws with a message naming the bad override. */
export function buildProfile(name: ProfileName, overrides: ProfileOverrides = {}, time?: IterationTime): ProfileScenario {
  const d = DEFAULTS[name];
  const rate = positive("rate", overrides.rate, d.rate);
  const peakRate = positive("peak rate", overrides.peakRate, Math.max(d.peakRate, rate));
  const durationText = overrides.duration ?? d.duration;
  const total = parseDuration(durationText);
  if (total <= 0) throw new Error(`duration must be positive, got "${durationText}"`);
  const openModel = name !== "smoke" && name !== "ramp";
  const sized = openModel ? sizeVUs(d, rate, peakRate, time) : { preAllocated: d.vus, max: d.maxVUs };
  const vus = Math.ceil(positive("vus", overrides.vus, sized.preAllocated));
  const maxVUs = Math.max(vus, Math.ceil(positive("max VUs", overrides.maxVUs, sized.max)));
  const open = { timeUnit: "1s", preAllocatedVUs: vus, maxVUs };

  switch (name) {
    case "smoke":
      return { executor: "per-vu-iterations", vus, iterations: Math.ceil(positive("iterations", overrides.iterations, d.iterations)), maxDuration: formatDuration(total) };
    case "ramp":
      // Closed model on purpose: "how does latency grow with concurrency" is a VU question.
      return {
        executor: "ramping-vus",
        startVUs: 0,
        gracefulRampDown: "5s",
        stages: [
          { duration: formatDuration(total / 3), target: vus },
          { duration: formatDuration(total / 3), target: vus },
          { duration: formatDuration(total / 3), target: 0 },
        ],
      };
    case "sustain":
    case "soak":
      return { executor: "constant-arrival-rate", rate, duration: formatDuration(total), ...open };
    case "spike":
      // baseline → sudden peak → baseline: 30 % warm baseline, 5 % jump, 20 % at peak, 5 % drop, 40 % recovery.
      return {
        executor: "ramping-arrival-rate",
        startRate: rate,
        ...open,
        stages: [
          { duration: formatDuration(total * 0.3), target: rate },
          { duration: formatDuration(total * 0.05), target: peakRate },
          { duration: formatDuration(total * 0.2), target: peakRate },
          { duration: formatDuration(total * 0.05), target: rate },
          { duration: formatDuration(total * 0.4), target: rate },
        ],
      };
    case "stress": {
      // Equal steps from the base rate to the top rate; each step ramps for 10 % of its time, then holds.
      const step = total / STRESS_STEPS;
      const stages: Stage[] = [];
      for (let i = 1; i <= STRESS_STEPS; i++) {
        const target = Math.round(rate + ((peakRate - rate) * i) / STRESS_STEPS);
        stages.push({ duration: formatDuration(step * 0.1), target }, { duration: formatDuration(step * 0.9), target });
      }
      return { executor: "ramping-arrival-rate", startRate: rate, ...open, stages };
    }
  }
}

/**
 * The iterations an open-model scenario offers over its run (rate integrated over its stages); 0
 * for the closed model, which cannot drop any. Turns a dropped-iterations share into the count k6's
 * own threshold checks (lib/k6/options-build.ts).
 */
export function offeredIterations(scenario: ProfileScenario): number {
  if (scenario.executor === "constant-arrival-rate") return scenario.rate * parseDuration(scenario.duration);
  if (scenario.executor !== "ramping-arrival-rate") return 0;
  let from = scenario.startRate;
  let sum = 0;
  for (const stage of scenario.stages) {
    sum += ((from + stage.target) / 2) * parseDuration(stage.duration);
    from = stage.target;
  }
  return sum;
}

/** `share<=0.01` (thresholds/compile.ts: a share of offered iterations) as k6's `count<=N` for this scenario. */
export function droppedCountThreshold(expression: string, scenario: ProfileScenario): string {
  const m = /^share\s*<=\s*(\d+(?:\.\d+)?)$/.exec(expression.trim());
  return m ? `count<=${Math.floor(Number(m[1]) * offeredIterations(scenario))}` : expression;
}

/**
 * Reads a profile and its overrides from k6's `__ENV` (or any string map). `scenarioDefaults` are
 * the scenario's own (e.g. a heavy scenario's lower rate); env still wins over them.
 */
export function profileFromEnv(
  env: Record<string, string | undefined>,
  fallback: ProfileName,
  scenarioDefaults: ProfileOverrides = {},
  time: IterationTime = {},
): { name: ProfileName; scenario: ProfileScenario } {
  const name = env.PERFDO_PROFILE ?? fallback;
  if (!isProfileName(name)) throw new Error(`PERFDO_PROFILE "${name}" is not a profile (one of ${PROFILE_NAMES.join(", ")})`);
  const num = (key: string): number | undefined => {
    const raw = env[key];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${key} must be a number, got "${raw}"`);
    return value;
  };
  const overrides: ProfileOverrides = {
    rate: num(OVERRIDE_ENV.rate) ?? scenarioDefaults.rate,
    peakRate: num(OVERRIDE_ENV.peakRate) ?? scenarioDefaults.peakRate,
    duration: env[OVERRIDE_ENV.duration] || scenarioDefaults.duration,
    vus: num(OVERRIDE_ENV.vus) ?? scenarioDefaults.vus,
    maxVUs: num(OVERRIDE_ENV.maxVUs) ?? scenarioDefaults.maxVUs,
    iterations: num(OVERRIDE_ENV.iterations) ?? scenarioDefaults.iterations,
  };
  const expectedMs = num("PERFDO_ITERATION_MS");
  return { name, scenario: buildProfile(name, overrides, { ...time, ...(expectedMs !== undefined ? { expectedMs } : {}) }) };
}

import { relative, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import type { ProfileName, ProfileOverrides } from "../../k6/profile";
import { EXIT, PerfdoError, inputError } from "../errors";
import { appendResults } from "../history/append";
import { BenchmarkResultSchema, type BenchmarkResult } from "../results/schema";
import { runScenarios } from "../run/run-scenarios";
import { failsLimits, levelRow, nextRate, sweepTable, type LevelRow } from "../sweep/levels";
import { resultsDirOption, targetEnv, targetOption, targetUrlOptions } from "./options";
import { addProfileOptions, overridesFrom, positiveNumber } from "./script-env";

// `perfdo sweep <scenario> --rates 50,100,200` (or `--vus 1,2,10`): the scenario at each level, one
// matrix row per level, each level a normal run in history. `--find-limit --p95 <ms>` steps the rate
// up, then bisects, to the highest rate that meets the limits, and records it as `<scenario>.max-rate`.

/** At most this many levels in one sweep or search: each is a whole run. */
const MAX_LEVELS = 16;

function levels(value: string): number[] {
  const list = value.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0)) throw new InvalidArgumentError("must be a comma-separated list of positive numbers, e.g. 50,100,200");
  if (list.length > MAX_LEVELS) throw new InvalidArgumentError(`at most ${MAX_LEVELS} levels`);
  return list;
}

interface SweepFlags {
  rates?: number[];
  vus?: number[];
  target: string;
  allow?: string;
  namespaceIn?: string;
  profile?: ProfileName;
  findLimit: boolean;
  p95?: number;
  maxErrorRate: number;
  maxRate: number;
  startRate: number;
  results: boolean;
  resultsDir: string;
  quiet: boolean;
}

/** The knee as a result line of its own: the highest rate that met the limits, with that level's numbers. */
export function maxRateResult(scenario: string, rate: number, at: readonly BenchmarkResult[], limits: { p95Ms: number; maxErrorRate: number }): BenchmarkResult {
  const slowest = [...at].sort((a, b) => (b.latency?.p95 ?? 0) - (a.latency?.p95 ?? 0))[0] as BenchmarkResult;
  const iterations = at.reduce((s, r) => s + r.iterations, 0);
  const errors = at.reduce((s, r) => s + r.errors, 0);
  return BenchmarkResultSchema.parse({
    ...slowest,
    name: `${scenario}.max-rate`,
    iterations,
    errors,
    errorRate: iterations > 0 ? errors / iterations : 0,
    rps: rate,
    thresholds: [
      { metric: `http_req_duration{name:${slowest.name}}`, threshold: `p(95)<=${limits.p95Ms}`, ok: true, scope: "scenario" },
      { metric: "http_req_failed", threshold: `rate<=${limits.maxErrorRate}`, ok: true, scope: "scenario" },
    ],
    thresholdsPassed: true,
  });
}

export function sweepCommand(root: string): Command {
  const command = new Command("sweep")
    .exitOverride()
    .description("run a scenario at several load levels (one matrix row each, each a run in history); --find-limit searches for the highest rate meeting --p95")
    .argument("<scenario>", "scenario name, e.g. network/echo")
    .option("--rates <list>", "arrival rates to run, e.g. 50,100,200,400 (profile sustain)", levels)
    .option("--vus <list>", "VU counts to run, e.g. 1,2,10,50 (profile ramp)", levels)
    .option("--find-limit", "search for the highest rate that meets --p95 and --max-error-rate (doubling, then bisecting)", false)
    .option("--p95 <ms>", "with --find-limit: the p95 (ms) the slowest operation must stay within", positiveNumber)
    .option("--max-error-rate <x>", "with --find-limit: the highest error rate that still passes (fraction)", (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError("must be a fraction from 0 to below 1");
      return n;
    }, 0.01)
    .option("--max-rate <n>", "with --find-limit: never offer more than this", positiveNumber, 5000)
    .option("--start-rate <n>", "with --find-limit: the first rate tried", positiveNumber, 50)
    .option("--no-results", "do not append to results/")

    .option("-q, --quiet", "hide k6's own progress and summary", true);
  targetOption(command, "local", 'where load goes: "local", "local=127.0.0.1:PORT", a base domain or a URL');
  targetUrlOptions(command);
  resultsDirOption(command, root, "where history lines go");
  addProfileOptions(command, ["rate", "vus"]);
  return command.action(async (scenario: string, flags: SweepFlags) => {
    const modes = [flags.rates !== undefined, flags.vus !== undefined, flags.findLimit].filter(Boolean).length;
    if (modes !== 1) throw inputError("give exactly one of --rates <list>, --vus <list> or --find-limit");
    if (flags.findLimit && flags.p95 === undefined) throw inputError("--find-limit needs --p95 <ms>");
    const base = overridesFrom(flags as unknown as Record<string, unknown>);
    const kind = flags.vus ? "vus" : "rate";
    const profile: ProfileName = flags.profile ?? (kind === "vus" ? "ramp" : "sustain");
    const sweepId = `sweep-${new Date().toISOString().replace(/[:.]/g, "-")}-${scenario.replace(/\//g, "-")}`;
    const at = async (level: number): Promise<{ row: LevelRow; results: BenchmarkResult[] }> => {
      const overrides: ProfileOverrides = kind === "vus" ? { ...base, vus: level, maxVUs: Math.max(level, base.maxVUs ?? 0) } : { ...base, rate: level };
      const report = await runScenarios({
        root, scenarios: [scenario], profile, overrides, target: flags.target, env: targetEnv(flags),
        resultsDir: resolve(flags.resultsDir), writeResults: flags.results, quiet: flags.quiet,
        sweep: { id: sweepId, kind, level },
      });
      const run = report.runs[0];
      // runScenarios throws when k6 fails; a breached threshold is what the sweep is here to see.
      if (!run) throw new PerfdoError(`level ${level}: no run`, EXIT.internal);
      return { row: levelRow(level, run.results), results: run.results };
    };

    if (!flags.findLimit) {
      const rows: LevelRow[] = [];
      for (const level of (flags.rates ?? flags.vus) as number[]) {
        rows.push((await at(level)).row);
        console.error(`perfdo: sweep ${scenario}: ${kind} ${level} done`);
      }
      console.log(`\n${scenario}: sweep over ${kind === "vus" ? "VUs" : "arrival rate"} (profile ${profile})`);
      console.log(sweepTable(kind, rows));
      return;
    }

    const limits = { p95Ms: flags.p95 as number, maxErrorRate: flags.maxErrorRate };
    const tried: Array<{ rate: number; ok: boolean }> = [];
    const rows: LevelRow[] = [];
    const verdicts = new Map<number, string | null>();
    const byRate = new Map<number, BenchmarkResult[]>();
    for (let rate = nextRate(tried, flags.startRate, flags.maxRate); rate !== null && tried.length < MAX_LEVELS; rate = nextRate(tried, flags.startRate, flags.maxRate)) {
      const { row, results } = await at(rate);
      const why = failsLimits(row, limits);
      tried.push({ rate, ok: why === null });
      rows.push(row);
      verdicts.set(rate, why);
      byRate.set(rate, results);
      console.error(`perfdo: find-limit ${scenario}: ${rate}/s ${why === null ? "meets the limits" : `fails: ${why}`}`);
    }
    rows.sort((a, b) => a.level - b.level);
    console.log(`\n${scenario}: search for the highest rate with p95 <= ${limits.p95Ms} ms and errors <= ${(limits.maxErrorRate * 100).toFixed(2)} % (profile ${profile})`);
    console.log(sweepTable("rate", rows, verdicts));
    const passes = tried.filter((t) => t.ok).map((t) => t.rate);
    if (passes.length === 0) {
      console.log(`no rate tried met the limits (lowest tried: ${Math.min(...tried.map((t) => t.rate))}/s)`);
      return;
    }
    const knee = Math.max(...passes);
    const capped = knee >= flags.maxRate ? ` (the --max-rate cap; the limit may be higher)` : "";
    console.log(`limit: ${knee}/s${capped}`);
    if (flags.results) {
      const line = maxRateResult(scenario, knee, byRate.get(knee) ?? [], limits);
      const file = await appendResults(resolve(flags.resultsDir), [line], new Date(line.timestamp));
      console.log(`${line.name} appended to ${relative(process.cwd(), file)}`);
    }
  });
}

import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import { judgeClaims } from "../claims/judge";
import { loadLedger, type Claim } from "../claims/ledger";
import { consoleClaims, markdownClaims } from "../claims/render";
import { EXIT, PerfdoError } from "../errors";
import { readHistory } from "../history/read";
import { emit } from "./judged";
import { resultsDirOption, targetOption } from "./options";

// `perfdo claims`: the platform's published performance claims (claims/perf-do.json), each judged
// by the newest run in history that measured it: claim | expected | measured | verdict | run.
// `--run` first runs what each claim needs (its `run.local`, or `run.remote` with --target), then
// judges; `npm run benchmark:claims` is that.

interface ClaimsFlags {
  ledger: string;
  resultsDir: string;
  target: string;
  format: string;
  run: boolean;
  out?: string;
}

/** Each distinct run the claims need, in ledger order, for this target. */
function runsFor(claims: readonly Claim[], remote: boolean): Array<{ args: string[]; env: Record<string, string>; claims: string[] }> {
  const out: Array<{ args: string[]; env: Record<string, string>; claims: string[] }> = [];
  for (const c of claims) {
    const spec = remote ? c.run.remote : c.run.local;
    if (!spec) continue;
    const env = spec.env ?? {};
    const same = out.find((r) => JSON.stringify(r.args) === JSON.stringify(spec.args) && JSON.stringify(r.env) === JSON.stringify(env));
    if (same) same.claims.push(c.id);
    else out.push({ args: spec.args, env, claims: [c.id] });
  }
  return out;
}

export function claimsCommand(root: string): Command {
  const command = new Command("claims")
    .exitOverride()
    .description("the platform's performance claims, each judged by the newest run that measured it (--run: run what they need first)")
    .option("--ledger <file>", "the claims ledger", resolve(root, "claims", "perf-do.json"))
    .option("--run", "first run what each claim needs (its run.local, or run.remote with --target)", false)
    .addOption(new Option("--format <format>", "output format").choices(["console", "markdown", "json"]).default("console"))
    .option("--out <file>", "write the output to a file instead of stdout");
  targetOption(command, "local", 'with --run: where load goes: "local" (embedded Worker) or a base domain');
  resultsDirOption(command, root, "the history folder");
  return command.action((flags: ClaimsFlags) => {
    const ledger = loadLedger(resolve(flags.ledger), root);
    const resultsDir = resolve(flags.resultsDir);
    if (flags.run) {
      const remote = flags.target !== "local";
      for (const r of runsFor(ledger.claims, remote)) {
        const args = [...r.args, "--target", flags.target, "--results-dir", resultsDir, "--quiet"];
        console.error(`perfdo claims: ${r.claims.join(", ")}: perfdo ${args.join(" ")}${Object.keys(r.env).length > 0 ? ` (${Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(" ")})` : ""}`);
        const res = spawnSync(process.execPath, [join(root, "bin", "perfdo.mjs"), ...args], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...r.env } });
        if (res.status === EXIT.interrupted) throw new PerfdoError("perfdo claims: interrupted", EXIT.interrupted);
        // A run that fails is reported, not fatal: its claims show as not measured.
        if (res.status !== 0) console.error(`perfdo claims: warning: perfdo ${r.args[0]} ${r.args[1]} exited ${res.status}; its claims may show as not measured`);
      }
    }
    const history = readHistory(resultsDir);
    for (const p of history.problems) console.error(`perfdo: warning: ${p} (line skipped)`);
    const rows = judgeClaims(ledger, history.results);
    const text = flags.format === "json" ? `${JSON.stringify(rows, null, 2)}\n` : flags.format === "markdown" ? markdownClaims(ledger, rows) : consoleClaims(ledger, rows);
    emit(text, flags.out);
  });
}

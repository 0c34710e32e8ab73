#!/usr/bin/env node
// npm test: every check, as few minutes as the 2-core machine allows, and each file's time at the end.
//   1. static checks and unit tests, side by side (CPU-bound, short): typecheck, lint:workflows,
//      deploy:check, test:unit, test:go;
//   2. integration files that share the machine well (each starts its own Worker on its own port and
//      writes only to its own temporary folders), a few at a time;
//   3. integration files whose assertions measure time, memory or rate, one at a time with nothing
//      else running, so the margins their comments state hold (SOLO below).
// Each step's output is printed whole when it ends (never interleaved). Exit 1 if any step failed.
// `node scripts/test.mjs --integration` runs steps 2 and 3 only (npm run test:integration).

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const INTEGRATION = join(ROOT, "test", "integration");
/** Files that measure time, rate or CPU (latency within 5 %, significance, rates found, tiers of ms, a saturated k6): alone. */
const SOLO = new Set(["overload.test.ts", "compare.test.ts", "sweep.test.ts", "tiers.test.ts", "saturation.test.ts"]);
/** How many integration files run at once in step 2 (on 2 cores; most of their time is k6 waiting on its schedule). */
const SHARED_CONCURRENCY = Number(process.env.TEST_CONCURRENCY ?? 3);

const integrationOnly = process.argv.includes("--integration");

/** @typedef {{ name: string, cmd: string, args: string[] }} Step */
/** @type {(file: string) => Step} */
const testFile = (file) => ({ name: `test/integration/${file}`, cmd: process.execPath, args: ["--import", "tsx", "--test", "--test-reporter=spec", join(INTEGRATION, file)] });
const npm = (script) => ({ name: `npm run ${script}`, cmd: "npm", args: ["run", "-s", script] });

const files = readdirSync(INTEGRATION).filter((f) => f.endsWith(".test.ts")).sort();
const phases = [
  ...(integrationOnly ? [] : [{ concurrency: 4, steps: [npm("typecheck"), npm("lint:workflows"), npm("deploy:check"), npm("test:unit"), npm("test:go")] }]),
  { concurrency: SHARED_CONCURRENCY, steps: files.filter((f) => !SOLO.has(f)).map(testFile) },
  { concurrency: 1, steps: files.filter((f) => SOLO.has(f)).map(testFile) },
];

/** @type {Array<{ name: string, seconds: number, code: number, pass: number, fail: number }>} */
const done = [];

function run(step) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(step.cmd, step.args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => {
      const seconds = (Date.now() - started) / 1000;
      const count = (label) => Number(new RegExp(`^ℹ ${label} (\\d+)$`, "m").exec(out)?.[1] ?? 0);
      process.stdout.write(`\n──── ${step.name} (${seconds.toFixed(1)} s, exit ${code}) ────\n${out}`);
      done.push({ name: step.name, seconds, code: code ?? 1, pass: count("pass"), fail: count("fail") });
      resolve();
    });
  });
}

async function pool(steps, concurrency) {
  const queue = [...steps];
  const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    for (let step = queue.shift(); step; step = queue.shift()) await run(step);
  });
  await Promise.all(workers);
}

const started = Date.now();
for (const phase of phases) await pool(phase.steps, phase.concurrency);
const total = (Date.now() - started) / 1000;

const width = Math.max(...done.map((d) => d.name.length));
console.log("\nTime per file (slowest first):");
for (const d of [...done].sort((a, b) => b.seconds - a.seconds)) {
  console.log(`  ${d.name.padEnd(width)}  ${d.seconds.toFixed(1).padStart(6)} s  ${d.code === 0 ? "ok" : `FAILED (exit ${d.code})`}`);
}
const failedSteps = done.filter((d) => d.code !== 0);
const passed = done.reduce((n, d) => n + d.pass, 0);
const failed = done.reduce((n, d) => n + d.fail, 0) + failedSteps.filter((d) => d.fail === 0).length;
console.log(`\nwall time ${total.toFixed(0)} s${failedSteps.length > 0 ? `; failed: ${failedSteps.map((d) => d.name).join(", ")}` : ""}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failedSteps.length > 0 ? 1 : 0);

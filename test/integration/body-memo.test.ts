import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { k6BuildOptions } from "../../esbuild.config.mjs";
import { ensureK6 } from "../../lib/node/k6/provision";
import type { LocalTarget } from "../../lib/node/target/local";
import { command, ROOT, startWorker, tempDir } from "./helpers";

// The client's parsed-body memo under real k6 (see test/k6/body-memo.ts): 10,000 responses with
// distinct bodies, each read back as itself. With the memo in a WeakMap this failed (sobek's WeakMap
// answers for new objects at a collected key's address); the e2e/stores flake came from there.

describe("bodyJson under real k6", () => {
  let worker: LocalTarget;
  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.stop();
  });

  it("reads every response as itself, across garbage collections", async () => {
    const dir = tempDir("body-memo");
    const script = join(dir, "body-memo.js");
    await build({ ...k6BuildOptions, entryPoints: [join(ROOT, "test", "k6", "body-memo.ts")], outfile: script, define: { __PERFDO_SCENARIO__: '"test/body-memo"' } });
    const summary = join(dir, "summary.json");
    const res = await command(ensureK6(ROOT).bin, ["run", "--quiet", `--summary-export=${summary}`, "-e", "PERFDO_TARGET=local", "-e", `PERFDO_LOCAL_ADDRESS=${worker.address}`, script]);
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    const checks = (JSON.parse(readFileSync(summary, "utf8")) as { metrics: { checks: { passes: number; fails: number } } }).metrics.checks;
    const memo = checks;
    assert.ok(memo.passes >= 10000, `checks: ${JSON.stringify(memo)}`);
    assert.equal(memo.fails, 0, `responses read as another response's body: ${memo.fails}`);
  });

  it("k6's JS runtime (sobek) still reports fresh objects as WeakMap keys, so k6 code here keeps away from WeakMap", async () => {
    const res = await command(ensureK6(ROOT).bin, ["run", "--quiet", "--log-format=raw", join(ROOT, "test", "k6", "weakmap-reuse.js")], { timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stderr.slice(-1000));
    const hits = Number(/weakmap stale hits: (\d+)/.exec(res.stdout + res.stderr)?.[1] ?? NaN);
    assert.ok(hits > 0, "no stale WeakMap hit in 1M objects: sobek may be fixed; WeakMap could be used again");
    const offenders = readdirSync(join(ROOT, "lib", "k6")).filter((f) => f.endsWith(".ts") && /new WeakMap\b/.test(readFileSync(join(ROOT, "lib", "k6", f), "utf8")));
    assert.deepEqual(offenders, [], "lib/k6 must not key anything by object in a WeakMap (see test/k6/body-memo.ts)");
  });
});


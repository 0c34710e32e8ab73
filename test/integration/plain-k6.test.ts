import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { buildAll } from "../../esbuild.config.mjs";
import { ensureK6, type K6 } from "../../lib/node/k6/provision";
import type { LocalTarget } from "../../lib/node/target/local";
import { ROOT, startWorker, total } from "./helpers";

// A built script must run as plain `k6 run build/<name>.js` (Grafana Cloud k6, k6-operator),
// with its thresholds inside it.

describe("built scripts under plain k6", () => {
  let worker: LocalTarget;
  let k6: K6;
  let scripts: Awaited<ReturnType<typeof buildAll>>["scenarios"];
  before(async () => {
    k6 = ensureK6(ROOT);
    scripts = (await buildAll({ root: ROOT })).scenarios;
    worker = await startWorker();
  });
  after(async () => {
    await worker?.stop();
  });

  it("every built script passes k6 inspect with its thresholds compiled in", () => {
    assert.ok(scripts.length >= 2);
    for (const s of scripts) {
      const res = spawnSync(k6.bin, ["inspect", s.script], { encoding: "utf8", timeout: 60_000 });
      assert.equal(res.status, 0, `${s.name}: ${res.stderr}`);
      const inspected = JSON.parse(res.stdout) as { thresholds?: Record<string, unknown>; scenarios?: Record<string, { executor: string }> };
      assert.deepEqual(Object.keys(inspected.thresholds ?? {}).sort(), Object.keys(s.compiled).sort(), s.name);
      assert.ok(Object.keys(s.compiled).length > 0, `${s.name} has thresholds`);
      // Load scenarios default to the open model; E2E scenarios verify behaviour, one VU at a time, and
      // a soak holds one connection per VU (closed model by design).
      const expected = s.name.startsWith("e2e/") || s.name.endsWith("-soak") ? "per-vu-iterations" : "constant-arrival-rate";
      assert.equal(Object.values(inspected.scenarios ?? {})[0]?.executor, expected, s.name);
    }
  });

  it("runs with plain k6 run against the local Worker, driven by env alone", async () => {
    await worker.resetServed();
    const script = scripts.find((s) => s.name === "network/echo")?.script as string;
    const env = ["PERFDO_TARGET=local", `PERFDO_LOCAL_ADDRESS=${worker.address}`, "PERFDO_PROFILE=smoke", "PERFDO_ITERATIONS=2"];
    const res = spawnSync(k6.bin, ["run", "--quiet", ...env.flatMap((e) => ["-e", e]), script], { encoding: "utf8", timeout: 60_000 });
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(await worker.served(), { "echo GET /ping": 2, "echo POST /echo": 6 });
  });

  it("refuses, inside k6, a local address that is not loopback and sends nothing", async () => {
    await worker.resetServed();
    const script = scripts.find((s) => s.name === "network/echo")?.script as string;
    const res = spawnSync(k6.bin, ["run", "--quiet", "-e", "PERFDO_TARGET=local=10.1.2.3:80", script], { encoding: "utf8", timeout: 60_000 });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /not a loopback address/);
    assert.equal(total(await worker.served()), 0);
  });
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ensureK6 } from "../../lib/node/k6/provision";
import { measured, perfdo, readResults, ROOT, tempDir } from "./helpers";

// perfdo cloud (Grafana Cloud k6): everything short of the cloud itself. The archive that would be
// uploaded carries the zones; k6 inspect shows them; a rehearsal of the zones as local processes
// (each its share as an execution segment, K6_CLOUDRUN_LOAD_ZONE set) gives one line per operation
// per zone; bad input and a missing token each stop in one line, before anything is sent.

const ZONES = "amazon:us:ashburn=60,amazon:de:frankfurt=40";
// No login anywhere: no token or stack in the environment, and k6's config file (K6_CONFIG) absent.
// (An empty config file, not a missing one: k6 refuses to start when K6_CONFIG names a file that is not there.)
const K6_CONFIG = join(tempDir("no-k6-login"), "config.json");
writeFileSync(K6_CONFIG, "{}\n");
const NO_TOKEN = { K6_CLOUD_TOKEN: "", K6_CLOUD_STACK_ID: "", K6_CONFIG };

describe("perfdo cloud (Grafana Cloud k6)", () => {
  it("writes the k6 archive it would upload, with options.cloud's distribution; k6 inspect shows it", async () => {
    const archive = join(tempDir("cloud"), "archive.tar");
    const res = await perfdo(["cloud", "network/echo", "--zones", ZONES, "--name", "geo check", "--archive", archive], NO_TOKEN);
    assert.equal(res.code, 0, res.stderr);
    const meta = JSON.parse(execFileSync("tar", ["-xOf", archive, "metadata.json"], { encoding: "utf8" })) as { options: { cloud: { name: string; distribution: Record<string, { loadZone: string; percent: number }> } } };
    assert.equal(meta.options.cloud.name, "geo check");
    assert.deepEqual(Object.values(meta.options.cloud.distribution).map((z) => [z.loadZone, z.percent]).sort(), [["amazon:de:frankfurt", 40], ["amazon:us:ashburn", 60]]);
    const inspected = JSON.parse(execFileSync(ensureK6(ROOT).bin, ["inspect", archive], { encoding: "utf8" })) as { cloud?: { distribution: Record<string, { percent: number }> } };
    assert.equal(Object.values(inspected.cloud?.distribution ?? {}).reduce((s, z) => s + z.percent, 0), 100);
  });

  it("rehearses the zones locally: one result line per operation per zone, the load split 60/40", async (t) => {
    const results = tempDir("cloud-results");
    const res = await perfdo(["cloud", "network/echo", "--zones", ZONES, "--rehearse", "--profile", "sustain", "--rate", "20", "--duration", "5s", "--results-dir", results], NO_TOKEN);
    assert.equal(res.code, 0, res.stderr);
    const lines = readResults(results).filter((l) => l.name === "echo.ping");
    const byZone = Object.fromEntries(lines.map((l) => [l.loadZone, l.iterations]));
    assert.deepEqual(Object.keys(byZone).sort(), ["amazon:de:frankfurt", "amazon:us:ashburn"]);
    const total = (byZone["amazon:us:ashburn"] ?? 0) + (byZone["amazon:de:frankfurt"] ?? 0);
    // The split is execution segments, so it is exact up to rounding: 0.604–0.610 over 9 runs (limit ±0.03, 3x the widest).
    measured(t, "cloud ashburn share", (byZone["amazon:us:ashburn"] ?? 0) / total);
    assert.ok(Math.abs((byZone["amazon:us:ashburn"] ?? 0) / total - 0.6) < 0.03, JSON.stringify(byZone));
    assert.match(res.stdout, /echo\.ping @ amazon:de:frankfurt/);
  });

  it("stops in one line, exit 2, before anything is built or sent: no token, no stack, unknown zone, percentages not summing to 100", async () => {
    const noStack = await perfdo(["cloud", "network/echo", "--zones", ZONES, "--target", "perf.do"], { ...NO_TOKEN, K6_CLOUD_TOKEN: "t0ken" });
    assert.equal(noStack.code, 2, noStack.stderr);
    assert.equal(noStack.stderr.trim().split("\n").length, 1, noStack.stderr);
    assert.match(noStack.stderr, /no Grafana Cloud stack: k6 v2 needs one for every cloud run; set K6_CLOUD_STACK_ID or run `k6 cloud login --stack <slug>`/);
    const cases: Array<[string[], RegExp]> = [
      [["--zones", ZONES, "--target", "perf.do"], /no Grafana Cloud k6 token: set K6_CLOUD_TOKEN or run `k6 cloud login` .* nothing was sent/],
      [["--zones", "amazon:us:ashburn=50,amazon:de:frankfurtt=50"], /unknown load zone "amazon:de:frankfurtt"/],
      [["--zones", "amazon:us:ashburn=50,amazon:de:frankfurt=40"], /sum to 90, not 100/],
      [["--zones", "amazon:us:ashburn=fifty,amazon:de:frankfurt=50"], /percent must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const res = await perfdo(["cloud", "network/echo", ...args], NO_TOKEN);
      assert.equal(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
      assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
      assert.match(res.stderr, message);
      assert.doesNotMatch(res.stderr, /k6 cloud run/, "nothing started");
    }
  });
});

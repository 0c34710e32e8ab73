import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ensureK6 } from "../../lib/node/k6/provision";
import { startFakeK6Cloud, type CloudCall } from "../support/k6-cloud-api";
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

/** The archive k6 uploaded (the multipart `script` part of createTest), written to a file. */
function uploadedArchive(calls: CloudCall[]): string {
  const upload = calls.find((c) => c.method === "POST" && /\/projects\/\d+\/load_tests$/.test(c.path));
  assert.ok(upload, `no upload among ${calls.map((c) => `${c.method} ${c.path}`).join(", ")}`);
  const boundary = `--${/boundary=([^;]+)/.exec(upload.contentType)?.[1] ?? ""}`;
  const parts = upload.body.toString("latin1").split(boundary);
  const script = parts.find((p) => /name="script"/.test(p));
  assert.ok(script, "the upload has a script part");
  const body = script.slice(script.indexOf("\r\n\r\n") + 4, script.lastIndexOf("\r\n"));
  const file = join(tempDir("uploaded"), "archive.tar");
  writeFileSync(file, Buffer.from(body, "latin1"));
  return file;
}

// The real `k6 cloud run` of the pinned k6, pointed at a loopback stand-in for Grafana Cloud k6's API
// (test/support/k6-cloud-api.ts cites the k6 source it answers). What arrives is what Grafana Cloud
// would get: the token, the stack, the project, and the archive with its options.cloud.
describe("perfdo cloud with the real k6 cloud client, against a loopback Grafana Cloud k6 API", () => {
  const TARGET_TOKEN = "perfdo-target-secret-5f2e";

  it("uploads and starts the run with the token and stack on every call; the archive carries the zones and no PERFDO_TOKEN", async () => {
    const api = await startFakeK6Cloud();
    try {
      const res = await perfdo(["cloud", "network/echo", "--zones", ZONES, "--name", "geo check", "--target", "perf.do"], {
        ...NO_TOKEN, K6_CLOUD_HOST_V6: api.host, K6_CLOUD_TOKEN: "cloud-token-1", K6_CLOUD_STACK_ID: "77", K6_CLOUD_PROJECT_ID: "5", PERFDO_TOKEN: TARGET_TOKEN,
      });
      assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
      assert.deepEqual(api.unknown.map((c) => `${c.method} ${c.path}`), []);
      assert.deepEqual(api.calls.map((c) => `${c.method} ${c.path.replace(/\/\d+\//g, "/N/")}`).slice(0, 3), ["POST /cloud/v6/validate_options", "POST /cloud/v6/projects/N/load_tests", "POST /cloud/v6/load_tests/N/start"]);
      assert.ok(api.calls.some((c) => c.path === "/cloud/v6/projects/5/load_tests"), "project 5");
      for (const call of api.calls) {
        assert.equal(call.authorization, "Bearer cloud-token-1", call.path);
        assert.equal(call.stackId, "77", call.path);
      }
      const archive = uploadedArchive(api.calls);
      const meta = JSON.parse(execFileSync("tar", ["-xOf", archive, "metadata.json"], { encoding: "utf8" })) as { env: Record<string, string>; options: { cloud: { name: string; projectID: number; distribution: Record<string, { loadZone: string; percent: number }> } } };
      assert.equal(meta.options.cloud.name, "geo check");
      assert.equal(meta.options.cloud.projectID, 5);
      assert.deepEqual(Object.values(meta.options.cloud.distribution).map((z) => [z.loadZone, z.percent]).sort(), [["amazon:de:frankfurt", 40], ["amazon:us:ashburn", 60]]);
      assert.equal(meta.env.PERFDO_TARGET, "perf.do");
      assert.ok(!readFileSync(archive).includes(TARGET_TOKEN), "PERFDO_TOKEN is not in the uploaded archive");
      assert.ok(!(res.stdout + res.stderr).includes(TARGET_TOKEN), "PERFDO_TOKEN is not printed");
    } finally {
      await api.close();
    }
  });

  it("accepts a login from k6's own config file (k6 cloud login), as k6 does", async () => {
    const api = await startFakeK6Cloud();
    try {
      const config = join(tempDir("k6-login"), "config.json");
      writeFileSync(config, JSON.stringify({ collectors: { cloud: { token: "file-token-2", stackID: 88 } } }));
      const res = await perfdo(["cloud", "network/echo", "--zones", ZONES, "--target", "perf.do"], { ...NO_TOKEN, K6_CONFIG: config, K6_CLOUD_HOST_V6: api.host, K6_CLOUD_PROJECT_ID: "5" });
      assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
      assert.ok(api.calls.length >= 3);
      for (const call of api.calls) assert.deepEqual([call.authorization, call.stackId], ["Bearer file-token-2", "88"], call.path);
    } finally {
      await api.close();
    }
  });

  it("refuses a login without a stack itself, in one line with exit 2, before k6 sends anything", async () => {
    const api = await startFakeK6Cloud();
    try {
      const res = await perfdo(["cloud", "network/echo", "--zones", ZONES, "--target", "perf.do"], { ...NO_TOKEN, K6_CLOUD_TOKEN: "cloud-token-1", K6_CLOUD_HOST_V6: api.host });
      assert.equal(res.code, 2, res.stdout.slice(-2000) + res.stderr);
      assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
      assert.deepEqual(api.calls, []);
    } finally {
      await api.close();
    }
  });

  it("writes no token into the archive of --archive", async () => {
    const archive = join(tempDir("cloud-archive-token"), "archive.tar");
    const res = await perfdo(["cloud", "network/echo", "--zones", ZONES, "--archive", archive], { ...NO_TOKEN, K6_CLOUD_TOKEN: "cloud-token-1", K6_CLOUD_STACK_ID: "77", PERFDO_TOKEN: TARGET_TOKEN });
    assert.equal(res.code, 0, res.stderr);
    const bytes = readFileSync(archive);
    assert.ok(!bytes.includes(TARGET_TOKEN) && !bytes.includes("cloud-token-1"), "no token in the archive");
  });
});

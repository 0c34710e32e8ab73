import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildWorker } from "../../esbuild.config.mjs";
import { startLocalTarget, type LocalTarget } from "../../lib/node/target/local";
import { startFakeCloudflare, type FakeCloudflare } from "../support/cloudflare-api";
import { startTlsFront, type TlsFront } from "../support/tls-front";
import { perfdo, readResults, ROOT, tempDir } from "./helpers";

// `npm run deploy` as someone who does not own perf.do would run it: the real wrangler (pinned)
// deploys to a loopback stand-in for Cloudflare's API (test/support/cloudflare-api.ts, which cites
// the wrangler source it answers), then the harness runs against the deployment's workers.dev host,
// rehearsed on loopback behind TLS with the deployment's bearer token.

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const TOKEN = "perfdo-test-token-7d1c3a9e5b";
const WORKERS_DEV = "perfdo-reference.someone.workers.dev";

function deployEnv(api: FakeCloudflare, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { CLOUDFLARE_API_BASE_URL: api.baseUrl, CLOUDFLARE_API_TOKEN: "cf-api-token", CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CI: "1", PERFDO_ZONE: "", ...extra };
}

/** The upload's metadata part (bindings, vars, secrets), as wrangler sent it. */
function uploadedMetadata(api: FakeCloudflare): { bindings: { name: string; type: string; text?: string; bucket_name?: string }[] } {
  const put = api.calls.find((c) => c.method === "PUT" && /\/workers\/scripts\/[^/]+$/.test(c.path));
  assert.ok(put, `no script upload among ${api.calls.map((c) => `${c.method} ${c.path}`).join(", ")}`);
  const text = put.body.toString();
  const start = text.indexOf("{", text.indexOf('name="metadata"'));
  const end = text.indexOf("\r\n--", start);
  return JSON.parse(text.slice(start, end)) as { bindings: { name: string; type: string; text?: string; bucket_name?: string }[] };
}

describe("perfdo deploy with the real wrangler, against a loopback Cloudflare API", () => {
  it("deploys to workers.dev on an account without perf.do: no zone lookup, workers.dev enabled, the token as a secret and never printed", async () => {
    const api = await startFakeCloudflare({ account: ACCOUNT, subdomain: "someone" });
    try {
      const res = await perfdo(["deploy"], deployEnv(api, { PERFDO_TOKEN: TOKEN }));
      assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr);
      assert.match(res.stdout, new RegExp(`--target ${WORKERS_DEV.replace(/\./g, "\\.")}`));
      assert.deepEqual(api.calls.filter((c) => c.path.includes("/zones")).map((c) => c.path), [], "no zone is looked up");
      const subdomain = api.calls.find((c) => c.method === "POST" && c.path.endsWith("/subdomain"));
      assert.deepEqual(JSON.parse(subdomain?.body.toString() ?? "{}"), { enabled: true, previews_enabled: false });
      // The Iceberg bucket: created before the upload that binds it (the API refuses a binding to a missing bucket).
      const created = api.calls.findIndex((c) => c.method === "POST" && c.path.endsWith("/r2/buckets"));
      const uploaded = api.calls.findIndex((c) => c.method === "PUT" && /\/workers\/scripts\/[^/]+$/.test(c.path));
      assert.ok(created >= 0 && created < uploaded, "the bucket is created before the script upload");
      assert.deepEqual(JSON.parse(api.calls[created]?.body.toString() ?? "{}"), { name: "perfdo-iceberg" });
      assert.deepEqual(uploadedMetadata(api).bindings.find((b) => b.name === "ICEBERG"), { name: "ICEBERG", type: "r2_bucket", bucket_name: "perfdo-iceberg" });
      const secret = uploadedMetadata(api).bindings.find((b) => b.name === "PERFDO_TOKEN");
      assert.deepEqual(secret, { name: "PERFDO_TOKEN", type: "secret_text", text: TOKEN });
      assert.ok(!(res.stdout + res.stderr).includes(TOKEN), "the token is not printed");
    } finally {
      await api.close();
    }
  });

  it("refuses a configuration that sets PERFDO_LOCAL before anything reaches the API, and the Worker refuses to serve with it beside a deployment's binding", async () => {
    const api = await startFakeCloudflare({ account: ACCOUNT, subdomain: "someone" });
    const dir = tempDir("deploy-local");
    const config = join(dir, "wrangler.jsonc");
    const ours = readFileSync(join(ROOT, "deploy", "wrangler.jsonc"), "utf8").replace(/"main":\s*"src\/index\.ts"/, `"main": ${JSON.stringify(join(ROOT, "deploy", "src", "index.ts"))}`);
    writeFileSync(config, ours.replace(/"vars":\s*\{/, '"vars": { "PERFDO_LOCAL": "1",'));
    try {
      const res = await perfdo(["deploy", "--config", config], deployEnv(api, { PERFDO_TOKEN: TOKEN }));
      assert.equal(res.code, 2, res.stdout + res.stderr);
      assert.match(res.stderr, /sets PERFDO_LOCAL: only the embedded local target may/);
      assert.deepEqual(api.calls, [], "nothing was sent to Cloudflare's API");
    } finally {
      await api.close();
    }
    // Set some other way (a dashboard variable, a secret): the Worker itself answers nothing but the refusal.
    const { startWorkerMiniflare } = await import("../support/worker-miniflare");
    const deployed = await startWorkerMiniflare({}, { r2: "ICEBERG" });
    try {
      for (const path of ["/health", "/_perfdo/requests", "/@stores/cache/get?key=a"]) {
        const res = await deployed.mf.dispatchFetch(`https://stores.perf.do${path}`);
        assert.equal(res.status, 503, path);
        assert.match(((await res.json()) as { error: string }).error, /sets PERFDO_LOCAL/);
      }
    } finally {
      await deployed.dispose();
    }
  });

  it("routes *.<zone>/* only for a zone the caller names, with that zone as the base domain; a zone the account lacks fails with exit 7", async () => {
    // This account has the bucket already: wrangler's "already exists" (10004) is no failure.
    const api = await startFakeCloudflare({ account: ACCOUNT, subdomain: "someone", zones: [{ id: "zone1", name: "bench.example.com" }], buckets: ["perfdo-iceberg"] });
    try {
      const res = await perfdo(["deploy"], deployEnv(api, { PERFDO_ZONE: "bench.example.com" }));
      assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr);
      assert.deepEqual(api.routes.get("zone1")?.map((r) => r.pattern), ["*.bench.example.com/*"]);
      assert.equal(uploadedMetadata(api).bindings.find((b) => b.name === "BASE_DOMAIN")?.text, "bench.example.com");
      assert.match(res.stdout, /no PERFDO_TOKEN in the environment/);
      assert.match(res.stdout, /proxied DNS record for \*\.bench\.example\.com/);
      const other = await perfdo(["deploy", "--zone", "perf.do"], deployEnv(api));
      assert.equal(other.code, 7, other.stdout.slice(-2000) + other.stderr);
      assert.match(other.stderr, /^perfdo: wrangler deploy failed/m);
    } finally {
      await api.close();
    }
  });

  it("a configuration with the route written in (as before) fails on such an account: wrangler cannot find the zone", async () => {
    const api = await startFakeCloudflare({ account: ACCOUNT, subdomain: "someone" });
    try {
      const config = JSON.parse(readFileSync(join(ROOT, "deploy", "wrangler.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, "")) as Record<string, unknown>;
      // Paths made absolute: the copy lives in a temporary folder.
      const hardCoded: Record<string, unknown> = {
        ...config,
        main: join(ROOT, "deploy", "src", "index.ts"),
        alias: { "hyparquet-compressors": join(ROOT, "deploy", "src", "iceberg", "no-compressors.ts") },
        routes: [{ pattern: "*.perf.do/*", zone_name: "perf.do" }],
      };
      delete hardCoded.workers_dev;
      const file = join(tempDir("wrangler-config"), "wrangler.json");
      writeFileSync(file, JSON.stringify(hardCoded));
      const res = await perfdo(["deploy", "--config", file], deployEnv(api));
      assert.equal(res.code, 7, res.stdout.slice(-2000) + res.stderr);
      assert.match(res.stdout + res.stderr, /Could not find zone for `perf\.do`/);
    } finally {
      await api.close();
    }
  });
});

/** Every file under `dir` (recursively). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("a workers.dev deployment, rehearsed on loopback: one host, the namespace in the path, a bearer token", () => {
  let worker: LocalTarget;
  let front: TlsFront;
  before(async () => {
    worker = await startLocalTarget(await buildWorker(ROOT), { token: TOKEN });
    front = await startTlsFront(tempDir("workers-dev-tls"), [WORKERS_DEV], worker.address);
  });
  after(async () => {
    await front?.close();
    await worker?.stop();
  });

  const runArgs = (results: string, ...scenarios: string[]) => [
    "run", ...scenarios, "--target", `https://${WORKERS_DEV}`, "--resolve", `${WORKERS_DEV}=127.0.0.1:${front.port}`,
    "--profile", "smoke", "--iterations", "2", "--gate", "--results-dir", results,
  ];

  it("runs every E2E suite (HTTP, WebSocket, object-to-object, datasets) with PERFDO_TOKEN; the token is in no artifact of the run", async () => {
    const results = tempDir("workers-dev-results");
    await worker.resetServed();
    const started = Date.now();
    const e2e = ["lifecycle", "shard", "replicate", "targeting", "stores", "network", "advanced", "streaming", "workflow"].map((s) => `e2e/${s}`);
    const res = await perfdo(runArgs(results, "network/echo", ...e2e), { PERFDO_ALLOWED_DOMAINS: WORKERS_DEV, SSL_CERT_FILE: front.ca, PERFDO_TOKEN: TOKEN }, 400_000);
    assert.equal(res.code, 0, res.stdout.slice(-3000) + res.stderr);
    assert.deepEqual([...front.sni], [WORKERS_DEV], "one host for every namespace");
    const served = await worker.served();
    assert.equal(served["echo GET /ping"], 2 + 2, `namespaces read from the path: ${JSON.stringify(served)}`);
    assert.ok((served["echo-replica GET /ping"] ?? 0) === 0 && Object.keys(served).some((k) => k.startsWith("stores ")), JSON.stringify(served));
    const lines = readResults(results);
    assert.ok(lines.length > 0);
    for (const line of lines) assert.match(line.target, new RegExp(`^${WORKERS_DEV.replace(/\./g, "\\.")}/@`), line.name);

    // Everything the run left: stdout, stderr, results, its raw capture, the built scripts it ran.
    const runIds = new Set(lines.map((l) => l.runId));
    const artifacts = [
      ...filesUnder(results),
      ...[...runIds].flatMap((id) => filesUnder(join(ROOT, "build", "runs", id))),
      ...filesUnder(join(ROOT, "build")).filter((f) => !f.includes(`${join("build", "runs")}`) && statSync(f).mtimeMs >= started - 1_000),
    ];
    assert.ok(artifacts.length > 3, artifacts.join("\n"));
    const holding = artifacts.filter((f) => readFileSync(f).includes(TOKEN));
    assert.deepEqual(holding, [], "files holding the token");
    assert.ok(!(res.stdout + res.stderr).includes(TOKEN), "the token is not printed");
  });

  it("without the token every request is refused (401), and the run says so", async () => {
    const results = tempDir("workers-dev-refused");
    const res = await perfdo(runArgs(results, "network/echo"), { PERFDO_ALLOWED_DOMAINS: WORKERS_DEV, SSL_CERT_FILE: front.ca, PERFDO_TOKEN: "" });
    assert.equal(res.code, 3, res.stdout.slice(-2000) + res.stderr);
    const ping = readResults(results).find((l) => l.name === "echo.ping");
    assert.deepEqual([ping?.iterations, ping?.errors, ping?.errorRate], [2, 2, 1]);
  });
});

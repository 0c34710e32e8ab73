import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { workerBuildOptions } from "../../esbuild.config.mjs";
import { namespaceFromPath } from "../../deploy/src/namespace";
import { COMPATIBILITY_DATE } from "../../lib/node/target/local";

// Who may call a deployed Worker (deploy/src/access.ts) and the one-host namespace carrier
// (`/@<namespace>/...`), through miniflare's dispatchFetch: a Worker configured as a deployment
// (no PERFDO_LOCAL), once without its secret and once with it.

const ROOT = join(import.meta.dirname, "..", "..");
let dir: string;
let script: string;
const workers: Miniflare[] = [];

async function deployed(bindings: Record<string, string>): Promise<Miniflare> {
  const mf = new Miniflare({
    modules: true, scriptPath: script, modulesRoot: dirname(script), compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: { PERF_DO: { className: "PerfDO", useSQLite: true } },
    bindings: { BASE_DOMAIN: "perf.do", ...bindings },
  });
  await mf.ready;
  workers.push(mf);
  return mf;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "perfdo-access-"));
  script = join(dir, "worker.mjs");
  await build({ ...workerBuildOptions, entryPoints: [join(ROOT, "deploy", "src", "index.ts")], outfile: script, absWorkingDir: ROOT });
});

after(async () => {
  for (const mf of workers) await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("a deployed reference Worker", () => {
  it("with no PERFDO_TOKEN secret refuses every request, /health included, and says how to set one (fail closed)", async () => {
    const mf = await deployed({});
    for (const path of ["/health", "/ping", "/things"]) {
      const res = await mf.dispatchFetch(`https://echo.perf.do${path}`, { headers: { authorization: "Bearer anything" } });
      assert.equal(res.status, 503, path);
      assert.match(((await res.json()) as { error: string }).error, /no PERFDO_TOKEN secret.*wrangler secret put PERFDO_TOKEN/);
    }
  });

  it("with a secret answers only requests bearing it: none → 401, a wrong one → 401, the right one → 200", async () => {
    const mf = await deployed({ PERFDO_TOKEN: "right-token" });
    const none = await mf.dispatchFetch("https://echo.perf.do/ping");
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="perfdo"');
    await none.arrayBuffer();
    // Wrong in its last byte, cut short, or the token with more after it: the comparison is made at
    // the token's own length whatever was sent, so the lengths are compared too.
    for (const token of ["right-tokem", "right-toke", "right-tokenX", "right-token-and-more"]) {
      const wrong = await mf.dispatchFetch("https://echo.perf.do/ping", { headers: { authorization: `Bearer ${token}` } });
      assert.equal(wrong.status, 401, token);
      await wrong.arrayBuffer();
    }
    const right = await mf.dispatchFetch("https://echo.perf.do/ping", { headers: { authorization: "Bearer right-token" } });
    assert.equal(right.status, 200);
    assert.equal(((await right.json()) as { namespace: string }).namespace, "echo");
  });

  it("on one host reads the namespace from /@<namespace>/, keeping the rest of the path and the query", async () => {
    const mf = await deployed({ PERFDO_TOKEN: "t" });
    const auth = { authorization: "Bearer t", "content-type": "application/json" };
    const host = "https://perfdo-reference.someone.workers.dev";
    const ping = await mf.dispatchFetch(`${host}/@com.web/ping`, { headers: auth });
    assert.equal(((await ping.json()) as { namespace: string }).namespace, "com.web");
    const created = await mf.dispatchFetch(`${host}/@stores/things`, { method: "POST", headers: auth, body: JSON.stringify({ type: "x", data: { a: 1 } }) });
    assert.equal(created.status, 201);
    const thing = (await created.json()) as Record<string, unknown>;
    const id = String(thing.$id ?? thing.id);
    const read = await mf.dispatchFetch(`${host}/@stores/things/${id}?version=1`, { headers: auth });
    assert.equal(read.status, 200);
    assert.deepEqual(await read.json(), thing);
    const bad = await mf.dispatchFetch(`${host}/@-x-/ping`, { headers: auth });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
  });

  it("on one host reads the namespace from X-Perfdo-Namespace when the path carries none", async () => {
    const mf = await deployed({ PERFDO_TOKEN: "t" });
    const host = "https://api.example.dev";
    const ping = await mf.dispatchFetch(`${host}/ping?x=1`, { headers: { authorization: "Bearer t", "x-perfdo-namespace": "Com.Web" } });
    assert.equal(((await ping.json()) as { namespace: string }).namespace, "com.web");
    // The path's /@<namespace> wins over the header: a client that sends both meant the path.
    const both = await mf.dispatchFetch(`${host}/@echo/ping`, { headers: { authorization: "Bearer t", "x-perfdo-namespace": "other" } });
    assert.equal(((await both.json()) as { namespace: string }).namespace, "echo");
    const bad = await mf.dispatchFetch(`${host}/ping`, { headers: { authorization: "Bearer t", "x-perfdo-namespace": "a b" } });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /X-Perfdo-Namespace|x-perfdo-namespace/i);
  });
});

describe("namespaceFromPath", () => {
  it("splits /@<namespace>/<rest>, and leaves paths without the prefix alone", () => {
    assert.deepEqual(namespaceFromPath("/@fork/things/1"), { namespace: "fork", rest: "/things/1" });
    assert.deepEqual(namespaceFromPath("/@Echo"), { namespace: "echo", rest: "/" });
    assert.equal(namespaceFromPath("/things/@x"), null);
    assert.equal(namespaceFromPath("/"), null);
    assert.equal(namespaceFromPath("/@/ping"), "invalid");
    assert.equal(namespaceFromPath("/@a_b/ping"), "invalid");
  });
});

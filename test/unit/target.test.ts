import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { baseUrl, hostFor, isLoopbackAddress, k6Hosts, resolveTarget, targetFromEnv } from "../../lib/k6/target";

describe("target resolution", () => {
  it("resolves a namespace to https://<ns>.perf.do on the real service", () => {
    const t = resolveTarget("perf.do");
    assert.deepEqual(t, { kind: "remote", baseDomain: "perf.do", scheme: "https" });
    assert.equal(baseUrl(t, "fork"), "https://fork.perf.do");
    assert.equal(k6Hosts(t), undefined);
  });

  it("accepts a configurable base domain when allow-listed", () => {
    const t = resolveTarget("https://bench.example.dev/", { allowedDomains: ["bench.example.dev"] });
    assert.equal(baseUrl(t, "move"), "https://move.bench.example.dev");
    assert.throws(() => resolveTarget("bench.example.dev"), /not allow-listed/);
    assert.equal(resolveTarget("staging.perf.do").baseDomain, "staging.perf.do");
  });

  it("puts the namespace in the path on a workers.dev host (one host per Worker), checked or not", () => {
    const host = "perfdo-reference.someone.workers.dev";
    for (const t of [resolveTarget(`https://${host}`, { allowedDomains: [host] }), targetFromEnv({ PERFDO_TARGET: host }, true)]) {
      assert.equal(t.carrier, "path");
      assert.equal(baseUrl(t, "com.web"), `https://${host}/@com.web`);
      assert.equal(hostFor(t, "echo"), `${host}/@echo`);
    }
    assert.throws(() => resolveTarget(host), /not allow-listed/);
  });

  it("maps every *.perf.do host to the local Worker via k6 hosts, keeping the real Host", () => {
    const t = resolveTarget("local=127.0.0.1:9999");
    assert.equal(t.kind, "local");
    assert.equal(baseUrl(t, "fork"), "http://fork.perf.do");
    assert.equal(hostFor(t, "fork"), "fork.perf.do");
    assert.deepEqual(k6Hosts(t), { "*.perf.do": "127.0.0.1:9999", "perf.do": "127.0.0.1:9999" });
  });

  it("refuses non-loopback local addresses and non-domains", () => {
    assert.throws(() => resolveTarget("local=192.168.1.5:8787"), /not a loopback address/);
    assert.throws(() => resolveTarget("local=10.0.0.1"), /not a loopback address/);
    assert.throws(() => resolveTarget("not a domain"), /neither "local" nor a domain/);
    assert.ok(isLoopbackAddress("127.0.0.1:8787"));
    assert.ok(isLoopbackAddress("127.9.9.9"));
    assert.ok(isLoopbackAddress("localhost:1"));
    assert.ok(isLoopbackAddress("[::1]:8787"));
    assert.ok(!isLoopbackAddress("128.0.0.1"));
  });

  it("reads k6 env: default is the real perf.do, local uses PERFDO_LOCAL_ADDRESS", () => {
    assert.equal(targetFromEnv({}).baseDomain, "perf.do");
    const local = targetFromEnv({ PERFDO_TARGET: "local", PERFDO_LOCAL_ADDRESS: "127.0.0.1:4000" });
    assert.equal(local.address, "127.0.0.1:4000");
    assert.equal(targetFromEnv({ PERFDO_TARGET: "mine.dev", PERFDO_ALLOWED_DOMAINS: "x.dev, mine.dev" }).baseDomain, "mine.dev");
  });

  it("checks the target in the options init run only; VUs (checked) get the same target", () => {
    // Unchecked (k6's __VU 0 init): a non-loopback address or a domain not allow-listed fails the run.
    assert.throws(() => targetFromEnv({ PERFDO_TARGET: "local", PERFDO_LOCAL_ADDRESS: "10.0.0.1:80" }), /not a loopback/);
    assert.throws(() => targetFromEnv({ PERFDO_TARGET: "evil.example" }), /not allow-listed/);
    for (const env of [{}, { PERFDO_TARGET: "local" }, { PERFDO_TARGET: "local=127.0.0.1:9" }, { PERFDO_TARGET: " https://Mine.dev/ ", PERFDO_ALLOWED_DOMAINS: "mine.dev" }]) {
      const { address: _, ...accepted } = targetFromEnv(env);
      const { address: __, ...inVU } = targetFromEnv(env, true);
      assert.deepEqual(inVU, accepted, JSON.stringify(env));
    }
  });
});

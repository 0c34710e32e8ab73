import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { baseUrl, hostFor, isLoopbackAddress, k6Hosts, namespaceHeaders, resolveTarget, targetFromEnv, targetUrl } from "../../lib/k6/target";
import { nonLoopbackRanges } from "../../lib/node/run/own-script";
import { operationName } from "../../lib/node/results/omission";

describe("target resolution", () => {
  it("resolves a namespace to https://<ns>.perf.do on the real service", () => {
    const t = resolveTarget("perf.do");
    assert.deepEqual(t, { kind: "remote", baseDomain: "perf.do", scheme: "https" });
    assert.equal(baseUrl(t, "fork"), "https://fork.perf.do");
    assert.equal(k6Hosts(t), undefined);
  });

  it("accepts a configurable base domain when allow-listed", () => {
    const t = resolveTarget("bench.example.dev", { allowedDomains: ["bench.example.dev"] });
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
    assert.throws(() => resolveTarget("not a domain"), /neither "local", a URL .* nor a domain name/);
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

  it("takes a URL: scheme, host or IP, port, path prefix; a plain API's namespace travels nowhere", () => {
    const api = resolveTarget("http://127.0.0.1:3000/api/v1/");
    assert.deepEqual(api, { kind: "local", baseDomain: "127.0.0.1", scheme: "http", carrier: "none", port: 3000, prefix: "/api/v1", plain: true });
    assert.equal(baseUrl(api, "anything"), "http://127.0.0.1:3000/api/v1");
    assert.equal(targetUrl(api), "http://127.0.0.1:3000/api/v1");
    assert.equal(resolveTarget("http://[::1]:8080").kind, "local");
    assert.equal(baseUrl(resolveTarget("http://localhost:9"), "x"), "http://localhost:9");
    // perf.do and workers.dev URLs keep their carriers; any other host is a plain API unless told.
    assert.equal(baseUrl(resolveTarget("https://perf.do"), "fork"), "https://fork.perf.do");
    const dev = "https://perfdo.someone.workers.dev";
    assert.equal(baseUrl(resolveTarget(dev, { allowedDomains: ["perfdo.someone.workers.dev"] }), "fork"), `${dev}/@fork`);
    const headed = resolveTarget("https://api.example.dev:8443/v2", { allowedDomains: ["api.example.dev"], carrier: "header" });
    assert.equal(baseUrl(headed, "fork"), "https://api.example.dev:8443/v2");
    assert.deepEqual(namespaceHeaders(headed, "fork"), { "X-Perfdo-Namespace": "fork" });
    assert.equal(namespaceHeaders(api, "fork"), undefined);
    const sub = resolveTarget("https://bench.example.dev", { allowedDomains: ["bench.example.dev"], carrier: "subdomain" });
    assert.equal(baseUrl(sub, "fork"), "https://fork.bench.example.dev");
    assert.equal(sub.plain, undefined);
  });

  it("refuses in one line a URL target that is not loopback and not allowed, or not a URL at all", () => {
    assert.throws(() => resolveTarget("http://10.1.2.3:8080/api"), /target host "10\.1\.2\.3" is not allow-listed .*--allow 10\.1\.2\.3/);
    assert.throws(() => resolveTarget("https://api.example.dev"), /not allow-listed/);
    assert.equal(resolveTarget("http://10.1.2.3:8080/api", { allowedDomains: ["10.1.2.3"] }).kind, "remote");
    assert.throws(() => resolveTarget("http://127.0.0.1:3000/a?b=1"), /no query string/);
    assert.throws(() => resolveTarget("http://user:pw@127.0.0.1/"), /not scheme:\/\/host/);
    assert.throws(() => resolveTarget("http://127.0.0.1:99999"), /port 99999/);
    assert.throws(() => resolveTarget("http://127.0.0.1:3000", { carrier: "subdomain" }), /cannot be subdomains of 127\.0\.0\.1/);
    assert.throws(() => resolveTarget("http://127.0.0.1:3000", { carrier: "pigeon" }), /not one of subdomain, path, header, none/);
    assert.throws(() => resolveTarget("local", { carrier: "none" }), /local Worker takes the namespace from its subdomain/);
  });

  it("reads a URL target back in every VU as the options init run accepted it", () => {
    for (const env of [
      { PERFDO_TARGET: "http://127.0.0.1:3000/api/v1", PERFDO_NAMESPACE_IN: "none" },
      { PERFDO_TARGET: "https://api.example.dev:8443/v2", PERFDO_NAMESPACE_IN: "header", PERFDO_ALLOWED_DOMAINS: "api.example.dev" },
      { PERFDO_TARGET: "https://bench.example.dev", PERFDO_NAMESPACE_IN: "subdomain", PERFDO_ALLOWED_DOMAINS: "bench.example.dev" },
    ]) assert.deepEqual(targetFromEnv(env, true), targetFromEnv(env), JSON.stringify(env));
  });

  it("names an unnamed request by method and path, without origin or query (k6 puts its URL in `name`)", () => {
    const url = "http://127.0.0.1:41234/api/v1/items?id=7#x";
    assert.equal(operationName({ name: url, url, method: "GET" }), "GET /api/v1/items");
    assert.equal(operationName({ name: "things.create", url: "things.create" }), "things.create");
    assert.equal(operationName({ name: "GET /items/:id", url: "http://h/items/3", method: "GET" }), "GET /items/:id");
    assert.equal(operationName({ name: "echo.ping" }), "echo.ping");
  });

  it("blocks every address but loopback for a loopback run of a user's script", () => {
    const ranges = nonLoopbackRanges();
    const inV4 = (ip: string, cidr: string): boolean => {
      const [base, bits] = cidr.split("/") as [string, string];
      const n = (a: string) => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
      const size = 2 ** (32 - Number(bits));
      return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
    };
    const v4 = ranges.filter((r) => !r.includes(":"));
    for (const ip of ["0.0.0.1", "10.0.0.1", "126.255.255.255", "128.0.0.0", "192.168.1.1", "255.255.255.255"]) assert.ok(v4.some((r) => inV4(ip, r)), ip);
    for (const ip of ["127.0.0.1", "127.255.0.9"]) assert.ok(!v4.some((r) => inV4(ip, r)), ip);
    const v6 = ranges.filter((r) => r.includes(":"));
    assert.equal(v6.length, 128);
    assert.ok(v6.includes("8000:0:0:0:0:0:0:0/1") && v6.includes("0:0:0:0:0:0:0:0/128") && v6.includes("0:0:0:0:0:0:0:2/127"));
  });
});

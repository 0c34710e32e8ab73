import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { namespaceFromHost } from "../../deploy/src/namespace";
import { routeKey } from "../../deploy/src/route-key";

describe("reference Worker routing", () => {
  it("takes the namespace from the host", () => {
    assert.equal(namespaceFromHost("fork.perf.do", "perf.do"), "fork");
    assert.equal(namespaceFromHost("FORK.perf.do:443", "perf.do"), "fork");
    assert.equal(namespaceFromHost("com.web.perf.do", "perf.do"), "com.web");
    assert.equal(namespaceFromHost("coldstart-1732.perf.do", "perf.do"), "coldstart-1732");
    assert.equal(namespaceFromHost("fork.bench.example.dev", "perf.do"), "fork");
  });

  it("finds no namespace on a bare domain, an IP or localhost", () => {
    assert.equal(namespaceFromHost("perf.do", "perf.do"), null);
    assert.equal(namespaceFromHost("127.0.0.1:8787", "perf.do"), null);
    assert.equal(namespaceFromHost("localhost", "perf.do"), null);
    assert.equal(namespaceFromHost(null, "perf.do"), null);
  });

  it("collapses ids in paths so counters stay per route", () => {
    assert.equal(routeKey("get", "/things/3f2a1c9e-1111-4222-8333-444455556666"), "GET /things/:id");
    assert.equal(routeKey("PATCH", "/things/42"), "PATCH /things/:id");
    assert.equal(routeKey("GET", "/things/item-17/versions"), "GET /things/:id/versions");
    assert.equal(routeKey("GET", "/things"), "GET /things");
    assert.equal(routeKey("POST", "/echo"), "POST /echo");
  });
});

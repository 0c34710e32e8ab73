import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_TOKEN_TTL_MS, MAX_TOKEN_TTL_MS, tokenState, tokenTtl } from "../../deploy/src/clone-token";
import { keyPasses, seedRecords } from "../../deploy/src/snapshot";

describe("reference Worker: lifecycle rules", () => {
  it("a staged-clone token is valid strictly before its expiry, and only while pending", () => {
    assert.equal(tokenState("pending", 1_000, 999), "valid");
    assert.equal(tokenState("pending", 1_000, 1_000), "expired");
    assert.equal(tokenState("committed", 1_000, 0), "committed");
    assert.equal(tokenState("aborted", 1_000, 0), "aborted");
  });

  it("token TTLs default and clamp", () => {
    assert.equal(tokenTtl(undefined), DEFAULT_TOKEN_TTL_MS);
    assert.equal(tokenTtl(-5), DEFAULT_TOKEN_TTL_MS);
    assert.equal(tokenTtl(250), 250);
    assert.equal(tokenTtl(1e12), MAX_TOKEN_TTL_MS);
  });

  it("fork filters keep included prefixes and drop excluded ones", () => {
    assert.equal(keyPasses("user:1", ["user:"], undefined), true);
    assert.equal(keyPasses("tmp:1", ["user:"], undefined), false);
    assert.equal(keyPasses("user:tmp", undefined, ["user:tmp"]), false);
    assert.equal(keyPasses("anything", undefined, undefined), true);
  });

  it("seeds records from a count or from objects, as the tests send them", () => {
    assert.deepEqual(seedRecords(3)?.valueOf(), [
      { id: "item-0", active: true, amount: 0, data: {} },
      { id: "item-1", active: false, amount: 1, data: {} },
      { id: "item-2", active: true, amount: 2, data: {} },
    ]);
    const fromObjects = seedRecords([{ key: "item-9", active: false, amount: 5 }]);
    assert.ok(Array.isArray(fromObjects));
    assert.deepEqual({ id: fromObjects[0]?.id, active: fromObjects[0]?.active, amount: fromObjects[0]?.amount }, { id: "item-9", active: false, amount: 5 });
    assert.match(String(seedRecords("lots")), /count \(0–100000\) or an array/);
    assert.match(String(seedRecords(200_000)), /count/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isReadOnlySql, REGIONS, replicaChoice } from "../../deploy/src/regions";

describe("reference Worker: replica choice and SQL guard", () => {
  it("maps ?replica= to the primary, a region, or a clear refusal", () => {
    assert.deepEqual(replicaChoice(null), { kind: "primary" });
    assert.deepEqual(replicaChoice("primary"), { kind: "primary" });
    assert.deepEqual(replicaChoice("nearest"), { kind: "region", region: "us-east" });
    for (const region of REGIONS) assert.deepEqual(replicaChoice(region), { kind: "region", region });
    assert.equal(replicaChoice("invalid-region").kind, "invalid");
  });

  it("accepts one read-only SELECT and nothing else", () => {
    assert.ok(isReadOnlySql("SELECT * FROM items LIMIT 10"));
    assert.ok(isReadOnlySql("with t as (select 1) select * from t;"));
    assert.ok(!isReadOnlySql("DELETE FROM items"));
    assert.ok(!isReadOnlySql("SELECT 1; DROP TABLE items"));
    assert.ok(!isReadOnlySql("SELECT * FROM items WHERE id IN (SELECT id FROM items); PRAGMA x"));
  });
});

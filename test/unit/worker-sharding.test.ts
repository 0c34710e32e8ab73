import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { distribution, fnv1a, route, STRATEGIES } from "../../deploy/src/shard-routing";

const keys = Array.from({ length: 1000 }, (_, i) => `user-${i}`);

describe("reference Worker: shard routing", () => {
  it("FNV-1a matches its published test vectors", () => {
    assert.equal(fnv1a(""), 0x811c9dc5);
    assert.equal(fnv1a("a"), 0xe40c292c);
    assert.equal(fnv1a("foobar"), 0xbf9cf968);
  });

  for (const strategy of STRATEGIES) {
    it(`${strategy}: one key always routes to one shard, within range`, () => {
      const o = { strategy, shardCount: 4, sticky: new Map<string, number>(), next: { value: 0 } };
      for (const key of ["a", "user-42", "7"]) {
        const first = route(key, o);
        assert.ok(first >= 0 && first < 4);
        for (let i = 0; i < 5; i++) assert.equal(route(key, o), first);
      }
    });
  }

  it("hash, consistent and roundRobin spread 1000 keys with balance ≥ 0.6 (the contract's floor)", () => {
    for (const strategy of ["hash", "consistent", "roundRobin"] as const) {
      const d = distribution(keys, { strategy, shardCount: 4, sticky: new Map(), next: { value: 0 } });
      assert.equal(d.shardCounts.reduce((a, b) => a + b, 0), 1000);
      assert.ok(d.balance >= 0.6, `${strategy}: ${JSON.stringify(d)}`);
    }
  });

  it("range routes numeric keys by the declared ranges", () => {
    const ranges = [{ min: 0, max: 99 }, { min: 100, max: 199 }];
    assert.equal(route("42", { strategy: "range", shardCount: 2, ranges }), 0);
    assert.equal(route("item-150", { strategy: "range", shardCount: 2, ranges }), 1);
  });

  it("consistent hashing moves far fewer keys than modulo when a shard is added", () => {
    const moved = (strategy: "hash" | "consistent") => keys.filter((k) => route(k, { strategy, shardCount: 4 }) !== route(k, { strategy, shardCount: 5 })).length;
    assert.ok(moved("consistent") < 350, `consistent moved ${moved("consistent")}`);
    assert.ok(moved("hash") > 700, `hash moved ${moved("hash")}`);
  });
});

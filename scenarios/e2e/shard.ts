// E2E: shard.perf.do (contract §3): sharding strategies, stable routes, balanced distribution,
// writes counted, queries fanned out over shards, aggregates, unshard and rebalance.

import exec from "k6/execution";
import { shardApi, type ShardStrategy } from "../../lib/k6/api/shard.api";
import { lifecycleApi } from "../../lib/k6/api/lifecycle.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const shard = shardApi(namespaceClient(target, "shard"));
const STRATEGIES: ShardStrategy[] = ["hash", "range", "roundRobin", "consistent"];
const WRITES = 12;

export default function (): void {
  const run = `${exec.vu.idInTest}x${exec.scenario.iterationInTest}x${Date.now().toString(36)}`;
  const ns = `users-${run}`;
  shard.create(ns, "hash", 4);

  for (const strategy of STRATEGIES) {
    const routes = Array.from({ length: 5 }, () => body<{ shardId: number }>(shard.route(ns, `user-${run}`, strategy)).shardId);
    expect("shard", `${strategy}: one key routes to one shard, 5 of 5 times`, routes.every((r) => r === routes[0] && r >= 0 && r < 4));
  }
  const keys = Array.from({ length: 1000 }, (_, i) => `key-${run}-${i}`);
  for (const strategy of ["hash", "roundRobin", "consistent"] as const) {
    const d = body<{ balance: number; shardCounts: number[] }>(shard.distribution(keys, 4, strategy));
    expect("shard", `${strategy}: 1000 keys spread with balance ≥ 0.6`, d.balance >= 0.6 && (d.shardCounts ?? []).reduce((a, b) => a + b, 0) === 1000);
  }

  const before = body<{ value: number }>(shard.counter(ns)).value;
  for (let i = 0; i < WRITES; i++) shard.write(ns, `u${i}`, { amount: i, active: i % 2 === 0 });
  expect("shard", "the write counter rises by the writes made", body<{ value: number }>(shard.counter(ns)).value === before + WRITES);

  const routed = body<{ shardId: number }>(shard.route(ns, "u3")).shardId;
  const one = body<{ shardId: number; results: Array<{ id: string }> }>(shard.query(ns, "u3"));
  expect("shard", "a point query goes to the routed shard and finds the row", one.shardId === routed && one.results?.[0]?.id === "u3");
  const everything = body<{ results: unknown[]; shardsQueried: number }>(shard.queryAll(ns, 100));
  expect("shard", "scatter queries every shard and finds every row", everything.shardsQueried === 4 && everything.results?.length === WRITES);
  const ranged = body<{ results: unknown[] }>(shard.queryRange(ns, 3, 6));
  expect("shard", "range query returns exactly the rows in range", ranged.results?.length === 4);
  const agg = body<{ sum: number; count: number; avg: number }>(shard.aggregate(ns, "amount"));
  expect("shard", "aggregate sums over all shards", agg.sum === 66 && agg.count === WRITES && agg.avg === 5.5);

  const rebalanced = body<{ shardCount: number; rows: number }>(shard.rebalance(ns, 6));
  expect("shard", "rebalance keeps every row", rebalanced.shardCount === 6 && rebalanced.rows === WRITES);
  expect("shard", "count after rebalance equals rows written", body<{ count: number }>(shard.count(ns)).count === WRITES);
  expect("shard", "rows are still found after rebalance", body<{ results: unknown[] }>(shard.query(ns, "u7")).results?.length === 1);

  const targetId = `unsharded-${run}`;
  expect("shard", "unshard moves every row", body<{ rows: number }>(shard.unshard(ns, targetId)).rows === WRITES);
  const merged = body<{ rows: Array<{ n: number }> }>(lifecycleApi(namespaceClient(target, targetId)).dbQuery("SELECT COUNT(*) AS n FROM records"));
  expect("shard", "the unsharded object holds the number written", merged.rows?.[0]?.n === WRITES);
}

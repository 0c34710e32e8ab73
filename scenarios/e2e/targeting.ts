// E2E: shard and replica targeting (contract §4) on sharded.perf.do and replicated.perf.do.
// Failure modes must answer below 500; routes must be stable; every assertion is a named check.

import exec from "k6/execution";
import { replicatedApi, shardedApi } from "../../lib/k6/api/targeting.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const sharded = shardedApi(namespaceClient(target, "sharded"));
const replicated = replicatedApi(namespaceClient(target, "replicated"));
const SHARDS = 5;
// The contract's region → colo lists (§4), kept here rather than imported from the Worker: this
// suite checks the Worker (and the real service) against the contract, not against itself.
const REGIONS: Record<string, string[]> = {
  "us-east": ["IAD", "EWR", "ATL", "MIA"],
  "us-west": ["SJC", "LAX", "SEA", "PDX"],
  "eu-west": ["LHR", "CDG", "DUB", "AMS"],
  "eu-central": ["FRA", "MUC", "VIE", "ZRH"],
  "ap-northeast": ["NRT", "KIX", "ICN"],
  "ap-southeast": ["SIN", "SYD", "HKG"],
};

const cv = (xs: number[]): number => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length) / mean;
};

function shards(run: string): void {
  const count = "SELECT COUNT(*) AS n FROM items";
  for (let n = 0; n < SHARDS; n++) {
    const res = body<{ shard: number; rows: Array<{ n: number }> }>(sharded.query(n, count));
    expect("targeting", `?shard=${n} is answered by shard ${n}`, res.shard === n && res.rows?.[0]?.n === 100);
  }
  expect("targeting", "a missing shard answers below 500", sharded.query(999, count, { name: "targeting.shard-missing", meta: { expectStatus: [404] } }).status < 500);
  expect("targeting", "a missing shard with failover=true is served", body<{ failedOver: boolean }>(sharded.query(999, count, { failover: true, name: "targeting.shard-failover" })).failedOver === true);
  expect("targeting", "only read-only SQL is accepted", sharded.query(0, "DELETE FROM items", { meta: { expectStatus: [400] } }).status === 400);

  const key = `user-${run}`;
  const routes = Array.from({ length: 5 }, () => body<{ shard: number }>(sharded.byKey(key, key)).shard);
  expect("targeting", "?shardKey maps one key to one shard, every time", routes.every((r) => r === routes[0]));
  const perShard = new Array<number>(SHARDS).fill(0);
  for (let i = 0; i < 200; i++) perShard[body<{ shard: number }>(sharded.byKey("k", `${run}-${i}`)).shard]! += 1;
  expect("targeting", "200 random keys spread over shards with CV < 0.5", cv(perShard) < 0.5);

  const scatter = body<{ results: unknown[]; aggregated: { totalCount: number } }>(sharded.scatter("SELECT id FROM items WHERE category = 'c1'"));
  expect("targeting", "scatter returns a results array over all shards", Array.isArray(scatter.results) && scatter.aggregated?.totalCount === SHARDS * 20);
  expect("targeting", "scatter&shards=2 queries two shards", body<{ results: unknown[] }>(sharded.scatter("SELECT id FROM items WHERE category = 'c1'", 2)).results.length === 40);
}

function replicas(run: string): void {
  let consistent = 0;
  for (let i = 0; i < 10; i++) {
    const key = `raw-${run}-${i}`;
    replicated.write(key, i);
    if (body<{ value: number }>(replicated.read(key, "primary", "targeting.data-read")).value === i) consistent++;
  }
  expect("targeting", "read-after-write on the primary is 100 % consistent", consistent === 10);
  const nearest = body<{ value: number; region: string }>(replicated.read(`raw-${run}-3`, "nearest", "targeting.data-nearest"));
  expect("targeting", "?replica=nearest serves from the nearest region", nearest.value === 3 && nearest.region === "us-east");
  for (const [region, colos] of Object.entries(REGIONS)) {
    const ping = body<{ colo: string; region: string }>(replicated.pingRegion(region));
    expect("targeting", `?replica=${region} is served from one of its colos`, ping.region === region && colos.includes(ping.colo));
  }
  expect("targeting", "an invalid region answers below 500", replicated.list("invalid-region", { expectStatus: [400] }).status < 500);
  const failed = body<{ failedOver: boolean; value: number }>(replicated.read(`raw-${run}-5`, null, "targeting.data-failover", "simulateFailure=primary&failover=true"));
  expect("targeting", "a failing primary fails over to a replica with the data", failed.failedOver === true && failed.value === 5);
}

export default function (): void {
  const run = `${exec.vu.idInTest}x${exec.scenario.iterationInTest}x${Date.now().toString(36)}`;
  shards(run);
  replicas(run);
}

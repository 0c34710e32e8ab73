// Per-operation latency on shard.perf.do (contract §3): routing, writes to a shard, point queries,
// scatter queries and aggregates over SHARDS shards (recorded as `shardCount`).

import exec from "k6/execution";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// Writes and point queries fan out to shard objects: 20/s is well inside local capacity.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 20 } });

const SHARDS = Number(__ENV.PERFDO_SHARD_COUNT ?? 4);
const shard = namespaceClient(target, "shard");
const ready = new Set<string>();

export default function (): void {
  const vu = exec.vu.idInTest;
  const ns = `perf-${vu}`;
  const meta = { shardCount: SHARDS };
  if (!ready.has(ns)) {
    shard.post("shard.create", "/shard", { strategy: "consistent", shardCount: SHARDS, namespace: ns }, meta);
    ready.add(ns);
  }
  const id = `u${exec.scenario.iterationInTest}`;
  shard.post("shard.route", "/route", { key: id, namespace: ns }, meta);
  shard.post("shard.write", "/write", { id, namespace: ns, data: { amount: exec.scenario.iterationInTest % 100 } }, meta);
  shard.post("shard.query", "/query", { id, namespace: ns }, meta);
  if (exec.scenario.iterationInTest % 10 === 0) {
    shard.post("shard.query-all", "/query/all", { namespace: ns, limit: 10 }, meta);
    shard.post("shard.aggregate", "/aggregate", { namespace: ns, field: "amount" }, meta);
  }
}

// Per-operation latency on shard.perf.do (contract §3): routing, writes to a shard, point queries,
// scatter queries and aggregates over SHARDS shards (recorded as `shardCount`).

import exec from "k6/execution";
import { shardApi } from "../../lib/k6/api/shard.api";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// Writes and point queries fan out to shard objects: 20/s is well inside local capacity.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 20 } });

const SHARDS = Number(__ENV.PERFDO_SHARD_COUNT ?? 4);
const shard = shardApi(namespaceClient(target, "shard"));
const ready = new Set<string>();

export default function (): void {
  const vu = exec.vu.idInTest;
  const ns = `perf-${vu}`;
  const meta = { shardCount: SHARDS };
  if (!ready.has(ns)) {
    shard.create(ns, "consistent", SHARDS, meta);
    ready.add(ns);
  }
  const id = `u${exec.scenario.iterationInTest}`;
  shard.route(ns, id, undefined, meta);
  shard.write(ns, id, { amount: exec.scenario.iterationInTest % 100 }, meta);
  shard.query(ns, id, meta);
  if (exec.scenario.iterationInTest % 10 === 0) {
    shard.queryAll(ns, 10, meta);
    shard.aggregate(ns, "amount", undefined, meta);
  }
}

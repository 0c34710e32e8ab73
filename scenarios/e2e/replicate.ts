// E2E: replication (contract §3) under the local lag model: read-after-write on the primary, sync
// replicas current at once, async replicas trailing by their lag and then catching up, fallback
// and status through a partition, pause/resume, multi-region, failover. Gate: 100 % of checks.

import { sleep } from "k6";
import exec from "k6/execution";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const LAG_MS = 100;
const POLL_TRIES = 50; // the contract's clients poll every 10 ms, 50 tries
type Read = { value: unknown; source: string; servedBy: string; fallback?: boolean };

export default function (): void {
  const run = `${exec.vu.idInTest}x${exec.scenario.iterationInTest}x${Date.now().toString(36)}`;
  const ns = namespaceClient(target, `replicate-${run}`);
  ns.post("replicate.create", "/replicate", { mode: "async", replicaId: "r-ewr", targetRegion: "EWR", config: { maxLagMs: LAG_MS, batchSize: 10 } });
  ns.post("replicate.create", "/replicate", { mode: "sync", replicaId: "r-cdg", targetRegion: "CDG" });

  ns.post("replicate.write", "/write", { key: "k1", value: "v1" });
  expect("replicate", "read-after-write on the primary", body<Read>(ns.get("replicate.read-primary", "/read?key=k1")).value === "v1");
  expect("replicate", "a sync replica has the write at once", body<Read>(ns.get("replicate.read-replica", "/read?key=k1&replica=r-cdg")).value === "v1");
  expect("replicate", "an async replica does not have it yet", body<Read>(ns.get("replicate.read-replica", "/read?key=k1&replica=r-ewr")).value !== "v1");
  const started = Date.now();
  let seen = false;
  for (let i = 0; i < POLL_TRIES && !seen; i++) {
    seen = body<Read>(ns.get("replicate.read-replica", "/read?key=k1&replica=r-ewr")).value === "v1";
    if (!seen) sleep(0.01);
  }
  const lag = Date.now() - started;
  expect("replicate", `an async replica catches up after about its lag (${LAG_MS} ms), within 500 ms`, seen && lag >= LAG_MS / 2 && lag < 500);

  const nearest = body<Read>(ns.get("replicate.read-nearest", "/read?key=k1&replica=nearest"));
  expect("replicate", "?replica=nearest reads the replica with the least lag", nearest.source === "replica" && nearest.servedBy === "r-cdg" && nearest.value === "v1");

  ns.post("replicate.write", "/write", { key: "k2", value: "v2", waitForReplica: true, targetReplica: "r-ewr" });
  expect("replicate", "waitForReplica makes the write visible there at once", body<Read>(ns.get("replicate.read-replica", "/read?key=k2&replica=r-ewr")).value === "v2");

  const replicas = body<Array<{ id: string; region: string; status: string; lagMs: number }>>(ns.get("replicate.list", "/replicas"));
  expect("replicate", "/replicas lists each with region, status and lag", replicas.length === 2 && replicas.every((r) => typeof r.region === "string" && typeof r.lagMs === "number"));
  const metrics = body<{ totalReplicas: number; healthyReplicas: number; maxLagMs: number }>(ns.get("replicate.metrics", "/replicate/metrics"));
  expect("replicate", "metrics count healthy replicas", metrics.totalReplicas === 2 && metrics.healthyReplicas === 2);

  ns.post("replicate.partition", "/simulate/partition", { replicaId: "r-ewr", durationMs: 200 });
  ns.post("replicate.write", "/write", { key: "k3", value: "v3" });
  expect("replicate", "a partitioned replica reports unhealthy", body<{ healthy: boolean }>(ns.get("replicate.status", "/replica/status?replicaId=r-ewr")).healthy === false);
  const fallback = body<Read>(ns.get("replicate.read-fallback", "/read?key=k3&replica=r-ewr&allowFallback=true"));
  expect("replicate", "allowFallback reads the primary while a replica is down", fallback.fallback === true && fallback.value === "v3");
  expect("replicate", "without fallback a down replica answers 503", ns.get("replicate.read-replica", "/read?key=k3&replica=r-ewr", { expectStatus: [503] }).status === 503);
  sleep(0.35);
  const after = body<{ healthy: boolean; lagMs: number }>(ns.get("replicate.status", "/replica/status?replicaId=r-ewr"));
  expect("replicate", "after the partition the replica is healthy and caught up", after.healthy === true && after.lagMs === 0);
  expect("replicate", "writes made during the partition arrive", body<Read>(ns.get("replicate.read-replica", "/read?key=k3&replica=r-ewr")).value === "v3");

  ns.post("replicate.pause", "/replicate/pause", { replicaId: "r-cdg" });
  ns.post("replicate.write", "/write", { key: "k4", value: "v4" });
  expect("replicate", "a paused replica stops applying", body<Read>(ns.get("replicate.read-fallback", "/read?key=k4&replica=r-cdg&allowFallback=true")).fallback === true);
  ns.post("replicate.resume", "/replicate/resume", { replicaId: "r-cdg" });
  expect("replicate", "a resumed replica catches up", body<Read>(ns.get("replicate.read-replica", "/read?key=k4&replica=r-cdg")).value === "v4");

  ns.post("replicate.multi", "/replicate/multi", { mode: "async", regions: [{ colo: "NRT", replicaId: "r-nrt" }, { colo: "SIN", replicaId: "r-sin" }] });
  expect("replicate", "multi-region adds a replica per region", body<unknown[]>(ns.get("replicate.list", "/replicas")).length === 4);
  expect("replicate", "a new replica starts from the primary's data", body<Read>(ns.get("replicate.read-replica", "/read?key=k1&replica=r-nrt")).value === "v1");

  const failover = body<{ newPrimary: string }>(ns.post("replicate.failover", "/failover", { promoteReplica: "r-cdg", reason: "e2e" }));
  expect("replicate", "failover promotes the replica", failover.newPrimary === "r-cdg" && body<unknown[]>(ns.get("replicate.list", "/replicas")).length === 3);
  expect("replicate", "the new primary serves its data", body<Read>(ns.get("replicate.read-primary", "/read?key=k4")).value === "v4");
  ns.del("replicate.remove", "/replicate/remove?replicaId=r-sin");
  expect("replicate", "a removed replica leaves the set", body<Array<{ id: string }>>(ns.get("replicate.list", "/replicas")).every((r) => r.id !== "r-sin"));
  expect("replicate", "emits replica.created", (body<{ events: string[] }>(ns.get("lifecycle.events-recent", "/events/recent")).events ?? []).includes("replica.created"));
}

// Replication (contract §3): write and read latency, and replication lag measured the way the
// contract's clients measure it: write on the primary, then poll the replica every 10 ms (up to
// 50 tries) until the value is visible. The lag is reported as the operation `replicate.lag`.
//
// Two drills run among the lag probes, each on a fresh object of its own (iteration 0, 1, then
// every PERFDO_DRILL_EVERY iterations, alternating):
// - failover: the primary is replaced by its replica (`POST /failover`) while reads arrive at the
//   same time (`replicate.failover-read`: their errors and latency); `replicate.failover` is the time
//   from the promotion sent to the new primary having acknowledged a write and served it back,
//   holding the replica's data.
// - reconciliation: the replica is partitioned, N writes are made (`replicate.partition-write`), the
//   partition is healed; `replicate.reconcile` is heal sent → the replica caught up (status healthy,
//   lag 0, the last write readable on it), with N as `datasetSize`. `replicate.reconcile-overhead` is
//   that minus the transfer: locally the N queued writes are applied to the replica inside the one
//   status request that finds it caught up (workerd's clock does not advance inside a request, so
//   the Worker cannot time it itself), so the transfer is that request's duration and the overhead
//   is the rest: the heal, noticing it, the polls before.

import { check, sleep } from "k6";
import exec from "k6/execution";
import { bodyJson, namespaceClient, type BatchRequest, type NamespaceClient } from "../../lib/k6/client";
import { recordLatency } from "../../lib/k6/measure";
import { scenarioOptions, target } from "../../lib/k6/options";
import { hostFor } from "../../lib/k6/target";

// Each iteration polls the replica every 10 ms until the write shows: 5/s keeps polls from piling up.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 5 } });

const LAG_MS = Number(__ENV.PERFDO_REPLICA_LAG_MS ?? 50);
const POLL_TRIES = 50;
const DRILL_EVERY = Math.max(2, Number(__ENV.PERFDO_DRILL_EVERY ?? 25));
const RECONCILE_EVENTS = Math.max(1, Number(__ENV.PERFDO_RECONCILE_EVENTS ?? 20_000));
const FAILOVER_READS = 4;
// Bounded: a drill gives up after this long rather than hold its VU.
const DRILL_POLL_TRIES = 500;
const ready: Record<string, true> = {};

type Body = Record<string, unknown> | undefined;
const json = (res: ReturnType<NamespaceClient["get"]>): Body => bodyJson(res) as Body;

function drillObject(kind: string): { ns: NamespaceClient; host: string } {
  const name = `replicate-${kind}-${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${Date.now()}`;
  const ns = namespaceClient(target, name);
  ns.post("replicate.create", "/replicate", { mode: "async", replicaId: "r1", targetRegion: "EWR", config: { maxLagMs: LAG_MS } });
  return { ns, host: hostFor(target, name) };
}

function failoverDrill(): void {
  const { ns, host } = drillObject("failover");
  // Writes the replica has applied before the primary goes: the promoted replica must keep them.
  ns.post("replicate.write", "/write", { key: "before", value: "kept", waitForReplica: true, targetReplica: "r1" });
  const requests: BatchRequest[] = [{ method: "POST", name: "replicate.failover.promote", path: "/failover", body: { promoteReplica: "r1", reason: "drill" } }];
  for (let i = 0; i < FAILOVER_READS; i++) requests.push({ method: "GET", name: "replicate.failover-read", path: "/read?key=before" });
  const sent = Date.now();
  ns.batch(requests);
  for (let i = 0; i < DRILL_POLL_TRIES; i++) {
    const wrote = ns.post("replicate.failover.write", "/write", { key: "after", value: i });
    if (wrote.status === 201) {
      const after = json(ns.get("replicate.failover.read", "/read?key=after"))?.value === i;
      const kept = json(ns.get("replicate.failover.read", "/read?key=before"))?.value === "kept";
      if (after) recordLatency("replicate.failover", host, Date.now() - sent);
      check(kept, { "replicate.failover: the new primary holds the promoted replica's data": (k) => k });
      check(after, { "replicate.failover: the new primary serves writes": (a) => a });
      return;
    }
    sleep(0.01);
  }
  check(false, { "replicate.failover: the new primary serves writes": (a) => a });
}

function reconcileDrill(): void {
  const { ns, host } = drillObject("reconcile");
  const meta = { datasetSize: RECONCILE_EVENTS };
  ns.post("replicate.partition", "/simulate/partition", { replicaId: "r1", durationMs: 60_000 });
  const items: Array<{ key: string; value: number }> = [];
  for (let i = 0; i < RECONCILE_EVENTS; i++) items.push({ key: `e${i}`, value: i });
  ns.post("replicate.partition-write", "/write/batch", { items }, meta);
  // Every write is due on the replica by now (written, then the lag): what is left is reconciliation.
  sleep(LAG_MS / 1000);
  const healed = Date.now();
  ns.post("replicate.heal", "/simulate/partition", { replicaId: "r1", durationMs: 0 });
  for (let i = 0; i < DRILL_POLL_TRIES; i++) {
    const res = ns.get("replicate.reconcile.status", "/replica/status?replicaId=r1");
    const status = json(res);
    if (status?.healthy === true && status.lagMs === 0) {
      const caughtUp = Date.now() - healed;
      const last = json(ns.get("replicate.read-replica", `/read?key=e${RECONCILE_EVENTS - 1}&replica=r1`))?.value === RECONCILE_EVENTS - 1;
      check(last, { "replicate.reconcile: the replica has the partition's last write": (l) => l });
      recordLatency("replicate.reconcile", host, caughtUp, meta);
      recordLatency("replicate.reconcile-overhead", host, Math.max(0, caughtUp - res.timings.duration), meta);
      return;
    }
    sleep(0.01);
  }
  check(false, { "replicate.reconcile: the replica caught up": (c) => c });
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  if (n % DRILL_EVERY === 0) return failoverDrill();
  if (n % DRILL_EVERY === 1) return reconcileDrill();
  const name = `replicate-perf-${exec.vu.idInTest}`;
  const ns = namespaceClient(target, name);
  if (!ready[name]) {
    ns.post("replicate.create", "/replicate", { mode: "async", replicaId: "r1", targetRegion: "EWR", config: { maxLagMs: LAG_MS } });
    ready[name] = true;
  }
  const key = `k${n}`;
  const value = `${n}-${Date.now()}`;
  const written = Date.now();
  ns.post("replicate.write", "/write", { key, value });
  ns.get("replicate.read-primary", `/read?key=${key}`);
  for (let i = 0; i < POLL_TRIES; i++) {
    const seen = (bodyJson(ns.get("replicate.read-replica", `/read?key=${key}&replica=r1`)) as { value?: string } | undefined)?.value === value;
    if (seen) {
      recordLatency("replicate.lag", hostFor(target, name), Date.now() - written);
      return;
    }
    sleep(0.01);
  }
}

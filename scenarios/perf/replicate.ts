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
import { replicateApi } from "../../lib/k6/api/replicate.api";
import { pollUntil } from "../../lib/k6/api/poll";
import { bodyJson, namespaceClient, type NamespaceClient } from "../../lib/k6/client";
import { recordLatency } from "../../lib/k6/measure";
import { scenarioOptions, target } from "../../lib/k6/options";
import { hostFor } from "../../lib/k6/target";

// Each iteration polls the replica every 10 ms until the write shows: 5/s keeps polls from piling up.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 5 } });

const LAG_MS = Number(__ENV.PERFDO_REPLICA_LAG_MS ?? 50);
const POLL_MS = 500;
const DRILL_EVERY = Math.max(2, Number(__ENV.PERFDO_DRILL_EVERY ?? 25));
const RECONCILE_EVENTS = Math.max(1, Number(__ENV.PERFDO_RECONCILE_EVENTS ?? 20_000));
const FAILOVER_READS = 4;
// Bounded: a drill gives up after this long rather than hold its VU.
const DRILL_TIMEOUT_MS = 5_000;
const ready: Record<string, true> = {};

type Body = Record<string, unknown> | undefined;
const json = (res: ReturnType<NamespaceClient["get"]>): Body => bodyJson(res) as Body;

function drillObject(kind: string): { ns: NamespaceClient; host: string } {
  const name = `replicate-${kind}-${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${Date.now()}`;
  const client = namespaceClient(target, name);
  replicateApi(client).create("r1", "async", "EWR", { maxLagMs: LAG_MS });
  return { ns: client, host: hostFor(target, name) };
}

function failoverDrill(): void {
  const { ns, host } = drillObject("failover");
  // Writes the replica has applied before the primary goes: the promoted replica must keep them.
  const api = replicateApi(ns);
  api.write("before", "kept", { waitForReplica: true, targetReplica: "r1" });
  const sent = Date.now();
  api.failoverUnderReads("r1", "drill", "before", FAILOVER_READS);
  let attempt = 0;
  const wrote = pollUntil(() => api.write("after", attempt++, {}, "replicate.failover.write"), (res) => res.status === 201, 10, DRILL_TIMEOUT_MS);
  if (wrote.ok) {
    const after = json(api.read("after", "", "replicate.failover.read"))?.value === attempt - 1;
    const kept = json(api.read("before", "", "replicate.failover.read"))?.value === "kept";
    if (after) recordLatency("replicate.failover", host, Date.now() - sent);
    check(kept, { "replicate.failover: the new primary holds the promoted replica's data": (k) => k });
    check(after, { "replicate.failover: the new primary serves writes": (a) => a });
    return;
  }
  check(false, { "replicate.failover: the new primary serves writes": (a) => a });
}

function reconcileDrill(): void {
  const { ns, host } = drillObject("reconcile");
  const api = replicateApi(ns);
  const meta = { datasetSize: RECONCILE_EVENTS };
  api.partition("r1", 60_000);
  const items: Array<{ key: string; value: number }> = [];
  for (let i = 0; i < RECONCILE_EVENTS; i++) items.push({ key: `e${i}`, value: i });
  api.writeBatch(items, meta);
  // Every write is due on the replica by now (written, then the lag): what is left is reconciliation.
  sleep(LAG_MS / 1000);
  const healed = Date.now();
  api.partition("r1", 0, "replicate.heal");
  const polled = api.statusUntilCaughtUp("r1", "replicate.reconcile.status", DRILL_TIMEOUT_MS);
  if (!polled.ok) {
    check(false, { "replicate.reconcile: the replica caught up": (c) => c });
    return;
  }
  const caughtUp = Date.now() - healed;
  const last = json(api.read(`e${RECONCILE_EVENTS - 1}`, "replica=r1"))?.value === RECONCILE_EVENTS - 1;
  check(last, { "replicate.reconcile: the replica has the partition's last write": (l) => l });
  recordLatency("replicate.reconcile", host, caughtUp, meta);
  recordLatency("replicate.reconcile-overhead", host, Math.max(0, caughtUp - polled.value.timings.duration), meta);
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  if (n % DRILL_EVERY === 0) return failoverDrill();
  if (n % DRILL_EVERY === 1) return reconcileDrill();
  const name = `replicate-perf-${exec.vu.idInTest}`;
  const api = replicateApi(namespaceClient(target, name));
  if (!ready[name]) {
    api.create("r1", "async", "EWR", { maxLagMs: LAG_MS });
    ready[name] = true;
  }
  const key = `k${n}`;
  const value = `${n}-${Date.now()}`;
  const written = Date.now();
  api.write(key, value);
  api.readPrimary(key);
  // The contract's clients poll every 10 ms, 50 tries: about half a second.
  if (api.readUntil(key, "r1", value, POLL_MS).ok) recordLatency("replicate.lag", hostFor(target, name), Date.now() - written);
}

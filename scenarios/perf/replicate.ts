// Replication (contract §3): write and read latency, and replication lag measured the way the
// contract's clients measure it: write on the primary, then poll the replica every 10 ms (up to
// 50 tries) until the value is visible. The lag is reported as the operation `replicate.lag`.

import { sleep } from "k6";
import exec from "k6/execution";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { recordLatency } from "../../lib/k6/measure";
import { scenarioOptions, target } from "../../lib/k6/options";
import { hostFor } from "../../lib/k6/target";

// Each iteration polls the replica every 10 ms until the write shows: 5/s keeps polls from piling up.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 5 } });

const LAG_MS = Number(__ENV.PERFDO_REPLICA_LAG_MS ?? 50);
const POLL_TRIES = 50;
const ready = new Set<string>();

export default function (): void {
  const name = `replicate-perf-${exec.vu.idInTest}`;
  const ns = namespaceClient(target, name);
  if (!ready.has(name)) {
    ns.post("replicate.create", "/replicate", { mode: "async", replicaId: "r1", targetRegion: "EWR", config: { maxLagMs: LAG_MS } });
    ready.add(name);
  }
  const key = `k${exec.scenario.iterationInTest}`;
  const value = `${exec.scenario.iterationInTest}-${Date.now()}`;
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

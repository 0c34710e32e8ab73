// Per-operation latency of lifecycle operations (contract §3), warm and cold.
// Warm: one long-lived namespace per VU. Cold: a never-seen namespace per iteration, whose first
// request is tagged coldStart (results carry `coldStart: true` for those operations).
// Copy operations run over a seeded dataset whose size is recorded (`datasetSize`).

import exec from "k6/execution";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain" });

const DATASET = Number(__ENV.PERFDO_DATASET_SIZE ?? 500);
const COLOS = ["EWR", "IAD", "CDG", "NRT"];
const seeded = new Set<string>();

export default function (): void {
  const vu = exec.vu.idInTest;
  const it = exec.scenario.iterationInTest;
  const run = `${vu}x${it}x${Date.now().toString(36)}`;

  // Cold: the first request to a brand-new object.
  const cold = namespaceClient(target, `cold-${run}`);
  cold.get("lifecycle.status.cold", "/status", { coldStart: true });

  // Warm: the same object every iteration of this VU, seeded once.
  const warmName = `perf-lc-${vu}`;
  const warm = namespaceClient(target, warmName);
  if (!seeded.has(warmName)) {
    warm.post("lifecycle.seed", "/db/seed", { records: DATASET }, { datasetSize: DATASET });
    seeded.add(warmName);
  }
  warm.get("lifecycle.status", "/status");
  warm.put("lifecycle.state-put", "/state", { key: `k${it % 100}`, value: { it } });
  warm.get("lifecycle.state-get", `/state?key=k${it % 100}`);
  warm.post("lifecycle.counter-increment", "/counter/increment");
  warm.post("lifecycle.move", "/move", { colo: COLOS[it % COLOS.length] });
  warm.post("lifecycle.fork", "/fork", { namespace: `fork-${run}` }, { datasetSize: DATASET });
  warm.post("lifecycle.clone-atomic", "/clone", { mode: "atomic", targetId: `clone-${run}` }, { datasetSize: DATASET });
}

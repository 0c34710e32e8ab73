// Per-operation latency of lifecycle operations (contract §3), warm and cold.
// Warm: one long-lived namespace per VU. Cold (`*.cold`): a never-seen namespace per sample, the
// operation being its first request, tagged coldStart (results carry `coldStart: true`).
// Copy operations run over a seeded dataset whose size is recorded (`datasetSize`).

import exec from "k6/execution";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// Each iteration copies the dataset four times (fork, clone and their cold variants): 3/s keeps the local Worker out of saturation on 2 cores (10/s saturated it).
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 3 } });

const DATASET = Number(__ENV.PERFDO_DATASET_SIZE ?? 500);
const COLOS = ["EWR", "IAD", "CDG", "NRT"];
const seeded = new Set<string>();

export default function (): void {
  const vu = exec.vu.idInTest;
  const it = exec.scenario.iterationInTest;
  const run = `${vu}x${it}x${Date.now().toString(36)}`;

  // Cold: each operation is the very first request a brand-new object sees.
  namespaceClient(target, `cold-${run}`).get("lifecycle.status.cold", "/status", { coldStart: true });
  namespaceClient(target, `cold-mv-${run}`).post("lifecycle.move.cold", "/move", { colo: "IAD" }, { coldStart: true });
  namespaceClient(target, `cold-fk-${run}`).post("lifecycle.fork.cold", "/fork", { namespace: `cold-fk-${run}-f` }, { coldStart: true });
  namespaceClient(target, `cold-cl-${run}`).post("lifecycle.clone-atomic.cold", "/clone", { mode: "atomic", targetId: `cold-cl-${run}-c` }, { coldStart: true });

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

  // promote → increment → demote on one entity per iteration.
  const entity = `ent-${run}`;
  warm.post("lifecycle.thing-create", "/things", { id: entity, type: "Counter", data: { value: 0 } });
  warm.post("lifecycle.promote", `/things/${entity}/promote`, {});
  warm.post("lifecycle.object-increment", `/objects/${entity}/increment`, { amount: 1 });
  warm.post("lifecycle.demote", `/objects/${entity}/demote`, {});
}

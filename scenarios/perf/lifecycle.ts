// Per-operation latency of lifecycle operations (contract §3), warm and cold.
// Warm: one long-lived namespace per VU. Cold (`*.cold`): a never-seen namespace per sample, the
// operation being its first request, tagged coldStart (results carry `coldStart: true`).
// Copy operations run over a seeded dataset whose size is recorded (`datasetSize`).

import exec from "k6/execution";
import { lifecycleApi } from "../../lib/k6/api/lifecycle.api";
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
  const cold = { coldStart: true };
  lifecycleApi(namespaceClient(target, `cold-${run}`)).status(cold, "lifecycle.status.cold");
  lifecycleApi(namespaceClient(target, `cold-mv-${run}`)).move({ colo: "IAD" }, cold, "lifecycle.move.cold");
  lifecycleApi(namespaceClient(target, `cold-fk-${run}`)).fork({ namespace: `cold-fk-${run}-f` }, cold, "lifecycle.fork.cold");
  lifecycleApi(namespaceClient(target, `cold-cl-${run}`)).clone("atomic", `cold-cl-${run}-c`, {}, cold, "lifecycle.clone-atomic.cold");

  // Warm: the same object every iteration of this VU, seeded once.
  const warmName = `perf-lc-${vu}`;
  const warm = lifecycleApi(namespaceClient(target, warmName));
  if (!seeded.has(warmName)) {
    warm.dbSeed(DATASET, { datasetSize: DATASET }, "lifecycle.seed");
    seeded.add(warmName);
  }
  warm.status();
  warm.statePut(`k${it % 100}`, { it });
  warm.stateGet(`k${it % 100}`);
  warm.counterIncrement();
  warm.move({ colo: COLOS[it % COLOS.length] as string });
  warm.fork({ namespace: `fork-${run}` }, { datasetSize: DATASET });
  warm.clone("atomic", `clone-${run}`, {}, { datasetSize: DATASET });

  // promote → increment → demote on one entity per iteration.
  const entity = `ent-${run}`;
  warm.thingCreate({ id: entity, type: "Counter", data: { value: 0 } });
  warm.promote(entity);
  warm.objectIncrement(entity, 1);
  warm.demote(entity);
}

// Cold start by database size (contract §9: SQLite empty, 1 MB, 10 MB, 100 MB). Unlike the contract's
// clients (one hostname per run, so only their first iteration is cold), every sample here is a
// never-seen object: a fresh namespace per iteration, its SQLite filled to the size (untimed:
// `coldstart.seed`, written by the Worker itself), then reset so its next request builds a new
// instance on the stored database. Timed: that first request (`coldstart.sqlite-<size>`, with
// `coldStart: true` and `datasetSize` in bytes), then the same request warm
// (`coldstart.sqlite-<size>.warm`); cold − warm is the cold start. Then, after another reset, the
// first read of every stored row (`….read`, cold, and `….read.warm`), as the contract's SQLite
// clients time a read of their data. The object is destroyed after.
// Sizes in MB from PERFDO_COLD_SIZES (default 0,1,10,100; each sample's database is destroyed after
// it, so the local Worker holds at most a few in flight). Local target only: the seeding and reset
// hooks do not exist on a deployment.

import { sleep } from "k6";
import exec from "k6/execution";
import { lifecycleApi } from "../../lib/k6/api/lifecycle.api";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 1, vus: 3 } });

/** Read by the catalog (lib/node/build/catalog.ts): `perfdo scenarios --target <remote>` leaves this one out. */
export const runsOn = "local";

// Refused before any load, in setup (not at init: k6 inspect and k6 archive read the script with no target).
export function setup(): void {
  if (target.kind !== "local" || target.plain) throw new Error("perf/coldstart runs on the local Worker only: its seeding and reset hooks do not exist on a deployment");
}

const SIZES_MB = (__ENV.PERFDO_COLD_SIZES ?? "0,1,10,100").split(",").map(Number).filter((n) => Number.isFinite(n) && n >= 0);
const MB = 1024 * 1024;

export default function (): void {
  const n = exec.scenario.iterationInTest;
  const mb = SIZES_MB[n % SIZES_MB.length] as number;
  const label = `sqlite-${mb}mb`;
  const ns = lifecycleApi(namespaceClient(target, `cold-${label}-${exec.vu.idInTest}-${n}-${Date.now()}`));
  if (mb > 0) ns.dbFill(mb * MB);
  ns.objectReset();
  sleep(0.05); // the reset lands after its response
  const cold = { coldStart: true, datasetSize: mb * MB };
  const warm = { datasetSize: mb * MB };
  ns.status(cold, `coldstart.${label}`);
  ns.status(warm, `coldstart.${label}.warm`);
  // The contract's SQLite clients time a read of the data itself: the first full read after a cold
  // start, then the same read warm.
  ns.objectReset();
  sleep(0.05);
  ns.dbStats(`coldstart.${label}.read`, cold);
  ns.dbStats(`coldstart.${label}.read.warm`, warm);
  ns.objectDestroy();
}

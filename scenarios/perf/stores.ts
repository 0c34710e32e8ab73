// Per-operation latency of the core 7 stores on stores.perf.do (contract §5: p50 ceilings 3–150 ms).
// One write and one read path per store each iteration; ids are unique per iteration. Cold: a write
// and a read as the first requests a never-seen store object gets (`*.cold`, coldStart: true).

import exec from "k6/execution";
import { eventsApi, storesApi, thingsApi } from "../../lib/k6/api/stores.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// Sixteen requests per iteration: 20/s is about 320 requests/s.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 20 } });

const { things, relationships, actions, events, search, objects, dlq } = storesApi(namespaceClient(target, "stores"));
const COLD = { coldStart: true };

export default function (): void {
  const run = `${exec.vu.idInTest}x${exec.scenario.iterationInTest}`;
  const cold = namespaceClient(target, `stores-cold-${run}x${Date.now().toString(36)}`);
  thingsApi(cold).create({ $type: "PerfThing", name: run }, COLD, "things.create.cold");
  eventsApi(cold).replay(-10, undefined, COLD, "events.replay.cold");
  const thing = bodyJson(things.create({ $type: "PerfThing", name: run, data: { n: 1 } })) as { $id?: string } | undefined;
  if (thing?.$id) things.get(thing.$id);
  relationships.create("links", `a-${run}`, `b-${run}`);
  relationships.from(`a-${run}`);
  const action = bodyJson(actions.create({ verb: "run", target: `t-${run}`, actor: "perf" })) as { id?: string } | undefined;
  if (action?.id) actions.start(action.id);
  events.create({ verb: "ticked", source: `perf-${exec.vu.idInTest}`, data: { run } });
  events.replay(-10, 10);
  search.index({ $id: `doc-${run}`, $type: "Perf", content: `benchmark document number ${run} about durable objects` });
  search.query(`durable+${run}`, "limit=5");
  objects.register({ ns: `perf-obj-${run}`, id: run, class: "Perf", region: "us-east" });
  objects.get(`perf-obj-${run}`);
  dlq.create({ eventId: `e-${run}`, verb: "perf", source: "bench", error: "simulated", maxRetries: 1 });
  dlq.stats();
}

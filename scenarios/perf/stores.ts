// Per-operation latency of the core 7 stores on stores.perf.do (contract §5: p50 ceilings 3–150 ms).
// One write and one read path per store each iteration; ids are unique per iteration. Cold: a write
// and a read as the first requests a never-seen store object gets (`*.cold`, coldStart: true).

import exec from "k6/execution";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// Sixteen requests per iteration: 20/s is about 320 requests/s.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 20 } });

const s = namespaceClient(target, "stores");

export default function (): void {
  const run = `${exec.vu.idInTest}x${exec.scenario.iterationInTest}`;
  const cold = namespaceClient(target, `stores-cold-${run}x${Date.now().toString(36)}`);
  cold.post("things.create.cold", "/things", { $type: "PerfThing", name: run }, { coldStart: true });
  cold.get("events.replay.cold", "/events/replay?fromSequence=-10", { coldStart: true });
  const thing = bodyJson(s.post("things.create", "/things", { $type: "PerfThing", name: run, data: { n: 1 } })) as { $id?: string } | undefined;
  if (thing?.$id) s.get("things.get", `/things/${thing.$id}`);
  s.post("relationships.create", "/relationships", { verb: "links", from: `a-${run}`, to: `b-${run}` });
  s.get("relationships.from", `/relationships/from/a-${run}`);
  const action = bodyJson(s.post("actions.create", "/actions", { verb: "run", target: `t-${run}`, actor: "perf" })) as { id?: string } | undefined;
  if (action?.id) s.post("actions.start", `/actions/${action.id}/start`);
  s.post("events.create", "/events", { verb: "ticked", source: `perf-${exec.vu.idInTest}`, data: { run } });
  s.get("events.replay", "/events/replay?fromSequence=-10&limit=10");
  s.post("search.index", "/search/index", { $id: `doc-${run}`, $type: "Perf", content: `benchmark document number ${run} about durable objects` });
  s.get("search.query", `/search?q=durable+${run}&limit=5`);
  s.post("objects.register", "/objects", { ns: `perf-obj-${run}`, id: run, class: "Perf", region: "us-east" });
  s.get("objects.get", `/objects/perf-obj-${run}`);
  s.post("dlq.create", "/dlq", { eventId: `e-${run}`, verb: "perf", source: "bench", error: "simulated", maxRetries: 1 });
  s.get("dlq.stats", "/dlq/stats");
}

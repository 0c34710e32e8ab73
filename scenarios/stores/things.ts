// The things store on stores.perf.do (contract §5) as a user drives it: one CRUD flow per iteration,
// create → get → patch (merge) → list by type → delete, each step its own measured operation.

import { check } from "k6";
import exec from "k6/execution";
import { thingsApi } from "../../lib/k6/api/stores.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain" });

const things = thingsApi(namespaceClient(target, "stores"));

export default function (): void {
  const type = `Bench${exec.vu.idInTest}`;
  const created = things.create({ $type: type, name: "widget", data: { n: 1, tags: ["a", "b"] } });
  const thing = bodyJson(created) as { $id?: string } | undefined;
  const id = thing?.$id;
  if (!check(created, { "things.create: returns $id": () => typeof id === "string" }, { name: "things.create" }) || !id) return;

  const got = things.get(id);
  check(got, { "things.get: returns the created thing": () => (bodyJson(got) as { $id?: string } | undefined)?.$id === id }, { name: "things.get" });

  const patched = things.merge(id, { data: { n: 2 } });
  check(patched, { "things.update: bumps version to 2": () => (bodyJson(patched) as { version?: number } | undefined)?.version === 2 }, { name: "things.update" });

  things.list(type, 10);
  things.remove(id);
}

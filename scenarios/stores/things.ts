// The things store on stores.perf.do (contract §5) as a user drives it: one CRUD flow per iteration,
// create → get → patch (merge) → list by type → delete, each step its own measured operation.

import { check } from "k6";
import exec from "k6/execution";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain" });

const stores = namespaceClient(target, "stores");

export default function (): void {
  const type = `Bench${exec.vu.idInTest}`;
  const created = stores.post("things.create", "/things", { $type: type, name: "widget", data: { n: 1, tags: ["a", "b"] } });
  const thing = bodyJson(created) as { $id?: string } | undefined;
  const id = thing?.$id;
  if (!check(created, { "things.create: returns $id": () => typeof id === "string" }, { name: "things.create" }) || !id) return;

  const path = `/things/${encodeURIComponent(id)}`;
  const got = stores.get("things.get", path);
  check(got, { "things.get: returns the created thing": () => (bodyJson(got) as { $id?: string } | undefined)?.$id === id }, { name: "things.get" });

  const patched = stores.patch("things.update", `${path}?merge=true`, { data: { n: 2 } });
  check(patched, { "things.update: bumps version to 2": () => (bodyJson(patched) as { version?: number } | undefined)?.version === 2 }, { name: "things.update" });

  stores.get("things.list", `/things?type=${type}&limit=10`);
  stores.del("things.delete", path);
}

// A scenario for an HTTP API of your own, with the generic client: the example API of
// examples/own-api/server.mjs (docs/write-a-scenario.md walks through it). Run it with
//   npx perfdo run examples/own-api --target http://127.0.0.1:3000/api/v1
// The namespace ("shop") travels nowhere on a plain API's URL target; the same scenario against a
// perf.do target would send it as the subdomain.

import { check } from "k6";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// The profile (sustain: a constant arrival rate), its defaults, and thresholds/examples/own-api.json.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 20, duration: "20s" } });

// Built once per VU at init: the client, and its per-operation plans (params, tags, checks).
const api = namespaceClient(target, "shop");

export default function (): void {
  // Each call names its operation first: the `name` tag, a result line, a key in the thresholds file.
  const hello = api.get("shop.hello", "/hello");
  check(hello, { "shop.hello: says hello": (r) => String(r.body).trim() === "hello" });
  api.get("shop.item", `/items/${Math.floor(Math.random() * 100)}`);
  api.post("shop.create", "/items", "widget", { expectStatus: [201] });
}

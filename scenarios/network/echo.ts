// echo.perf.do round trips (contract §9): the network floor every other figure sits on.
// Per iteration: GET /ping, then POST /echo with 100 B, 1 KB and 10 KB bodies.

import { networkApi } from "../../lib/k6/api/network.api";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";
import { jsonOfSize } from "../../lib/k6/payload";

export const options = scenarioOptions({ profile: "sustain" });

const echo = networkApi(namespaceClient(target, "echo"));
const BODIES = [
  { name: "echo.echo-100b", body: jsonOfSize(100) },
  { name: "echo.echo-1kb", body: jsonOfSize(1024) },
  { name: "echo.echo-10kb", body: jsonOfSize(10 * 1024) },
];

export default function (): void {
  echo.ping();
  for (const { name, body } of BODIES) echo.echo(body, name);
}

// The colo-to-colo matrix (contract §9): GET /colo-probe for every source × target pair of the
// contract's nine colos (81 pairs), sent as `cf-ipcolo: <source>` and `X-Target-Colo: <target>`. Each
// pair is an operation of its own, `colo.<SOURCE>-<TARGET>`, recorded with its `colo` (the source);
// `coloServed` comes from the answer's cf-ray on a deployment. Iterations walk the pairs in turn, so
// each gets rate × duration / 81 samples (contract: 10). `perfdo report` draws the matrix: a console
// table and, in HTML, a heatmap. Locally the latencies are the Worker's colo model (deploy/src/colos.ts).

import exec from "k6/execution";
import { MATRIX_COLOS } from "../../deploy/src/colos";
import { networkApi } from "../../lib/k6/api/network.api";
import { namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// 81 pairs × ~11 samples in 45 s; a probe waits up to ~190 ms (the model's longest round trip).
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 20, vus: 10, duration: "45s" } });

const echo = networkApi(namespaceClient(target, "echo"));
const PAIRS: Array<{ source: string; dest: string }> = MATRIX_COLOS.flatMap((source) => MATRIX_COLOS.map((dest) => ({ source, dest })));

export default function (): void {
  const pair = PAIRS[exec.scenario.iterationInTest % PAIRS.length] as (typeof PAIRS)[number];
  echo.coloProbe(pair.source, pair.dest);
}

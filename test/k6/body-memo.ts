// A k6 script for test/integration/body-memo.test.ts: every response must be read as itself. The
// client once remembered parsed bodies in a WeakMap; sobek keys a WeakMap by the object's address
// and forgets a collected key only later (runtime.AddCleanup), so a new response allocated where a
// collected one was got that one's body: `events.batch` read as an earlier response, the e2e/stores
// flake once seen in e2e/stores. Many responses with distinct bodies, each checked against what was sent.

import { check } from "k6";
import exec from "k6/execution";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { target } from "../../lib/k6/options";

export const options = {
  scenarios: { memo: { executor: "per-vu-iterations", vus: 2, iterations: 10, maxDuration: "2m" } },
  hosts: { "*.perf.do": __ENV.PERFDO_LOCAL_ADDRESS },
};

const echo = namespaceClient(target, "echo");
const PAD = "x".repeat(256);

export default function (): void {
  for (let i = 0; i < 500; i++) {
    const n = exec.scenario.iterationInTest * 1000 + i;
    const res = echo.post("memo.echo", "/echo", { n, pad: PAD });
    const got = bodyJson(res) as { n?: number } | undefined;
    check(got, { "bodyJson reads the response it is given": (g) => g?.n === n });
  }
}

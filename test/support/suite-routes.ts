import { patternsOverlap, type Feature } from "../../deploy/src/feature";
import { namespaceFromHost, urlFromPath } from "../../deploy/src/namespace";
import { claimedFamilies, serves } from "../../deploy/src/namespaces";
import { registrations } from "../../deploy/src/route-list";

// Which of perf.do's own suite's requests (fixtures/perf-do-suite-requests.json) no route of
// `features` serves on the namespace the suite sends it to, as "namespace METHOD path" lines: read by
// test/unit/worker-suite-routes.test.ts and by `node --import tsx test/support/suite-routes.ts`,
// which rewrites fixtures/perf-do-suite-unserved.txt after a route is added.

export interface SuiteRequest { namespace: string; method: string; path: string; uses: number; files: string[] }

export function unserved(features: readonly Feature[], requests: readonly SuiteRequest[]): string[] {
  const regs = registrations(features);
  const claimed = claimedFamilies(features.map((f) => f.serves));
  const byName = new Map(features.map((f) => [f.name, f]));
  return requests
    .filter((r) => {
      // `/https://<host>/path` means that URL (deploy/src/namespace.ts's urlFromPath)
      const nested = urlFromPath(r.path);
      const namespace = nested ? (namespaceFromHost(nested.host.replace(/:p/g, "x"), "perf.do") ?? "") : r.namespace;
      const path = nested ? nested.rest : r.path;
      return !regs.some((g) => (g.method === r.method || g.method === "ALL") && patternsOverlap(g.path, path) && serves(byName.get(g.feature)!.serves, namespace, claimed));
    })
    .map((r) => `${r.namespace} ${r.method} ${r.path}`);
}


if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { readFileSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { FEATURES } = await import("../../deploy/src/features");
  const root = join(import.meta.dirname, "..", "..");
  const suite = JSON.parse(readFileSync(join(root, "fixtures", "perf-do-suite-requests.json"), "utf8")) as { requests: SuiteRequest[] };
  const lines = unserved(FEATURES, suite.requests);
  const head = "# Requests perf.do's own suite makes that the reference Worker does not serve yet (namespace, method, path).\n# test/unit/worker-suite-routes.test.ts keeps this list exact; after serving a route, rewrite it with\n# node --import tsx test/support/suite-routes.ts\n";
  writeFileSync(join(root, "fixtures", "perf-do-suite-unserved.txt"), head + lines.join("\n") + "\n");
  console.log(`suite-routes: ${suite.requests.length - lines.length} of ${suite.requests.length} served; ${lines.length} listed as not served yet`);
}

// The web crawl graph under load (web.): setup() builds a generated crawl graph (HOSTS hosts, each
// linking to OUT_LINKS others, a few hosts linked far more than the rest, as in a real crawl) in one
// object, `web-perf`; iterations then read it as a crawl consumer does (a host's out-links by weight,
// its backlink count, the PageRank top) and every tenth also ingests a WAT batch and recomputes PageRank
// over the whole graph inside the object. Each operation carries `datasetSize` (edges in the graph).
// The graph is generated, not crawled: its shape is a crawl's (a heavy-tailed in-degree), its names
// are made up (docs/scenarios.md).

import { check } from "k6";
import exec from "k6/execution";
import { webgraphApi, type WebEdge } from "../../lib/k6/api/webgraph.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 10, vus: 5 }, extra: { setupTimeout: "5m" } });

const HOSTS = 2_000;
const OUT_LINKS = 5;
const EDGES = HOSTS * OUT_LINKS;
const web = webgraphApi(namespaceClient(target, "web-perf"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;
const host = (i: number): string => `site-${i}.${["com", "org", "net", "io"][i % 4]}`;

/** Link j of host i: a small-number host with probability ~1/2 (a heavy tail), else a spread one. */
const target_ = (i: number, j: number): number => {
  const h = (i * 2_654_435_761 + j * 40_503) >>> 0;
  return h % 2 === 0 ? (h >>> 1) % 20 : (h >>> 1) % HOSTS;
};

export function setup(): void {
  const have = body<{ count: number }>(web.backlinkCount(host(0)));
  if ((have.count ?? 0) > 0) return; // already built (a deployment, or a run before on this target)
  for (let start = 0; start < HOSTS; start += 1_000) {
    const edges: WebEdge[] = [];
    for (let i = start; i < start + 1_000; i++) for (let j = 0; j < OUT_LINKS; j++) edges.push({ from: host(i), to: host(target_(i, j) === i ? (i + 1) % HOSTS : target_(i, j)) });
    web.addEdges(edges);
  }
  const pr = body<{ nodes: number; converged: boolean }>(web.pageRank(50));
  check(pr, { "web: setup's PageRank covers every host": (r) => r.nodes === HOSTS });
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  const meta = { datasetSize: EDGES };
  const h = host((n * 7_919) % HOSTS);
  const out = body<Array<{ from: string; weight: number }>>(web.outLinks(h, "sort=weight&order=desc&limit=50", meta));
  check(out, { "web: a host's out-links, heaviest first": (o) => Array.isArray(o) && o.length > 0 && o.length <= OUT_LINKS && o.every((e, k) => e.from === h && (k === 0 || (o[k - 1]?.weight ?? 0) >= e.weight)) });
  web.backlinkCount(host(n % 20), meta);
  const top = body<Array<{ domain: string }>>(web.pageRankTop(20, meta));
  check(top, { "web: the PageRank top 20 are hosts of the heavy tail": (t) => Array.isArray(t) && t.length === 20 && t.filter((r) => Number(r.domain.split("-")[1]?.split(".")[0]) < 20).length >= 15 });
  if (n % 10 === 0) {
    const records = [{ envelope: { "WARC-Header-Metadata": { "WARC-Target-URI": `https://${h}/` }, "Payload-Metadata": { "HTTP-Response-Metadata": { "HTML-Metadata": { Links: [{ url: `https://${host(n % 20)}/` }] } } } } }];
    web.ingestWat(records, meta);
    const pr = body<{ converged: boolean }>(web.pageRank(20, meta));
    check(pr, { "web: PageRank over the whole graph runs inside the object": (r) => typeof r.converged === "boolean" });
  }
}

// Iceberg on R2 (contract §10), perf.do's "R2/Iceberg query benchmarks": setup() loads NAICS and
// UNSPSC as Iceberg tables (skipped where already loaded); each iteration then times, on the UNSPSC
// table (60,500 rows in 55 files):
// - iceberg.point-lookup.cold: a lookup on this VU's own object (unspsc-vu<N>.) after dropping its
//   caches, so table metadata, manifest list, manifest and the data file's footer and row group
//   come from R2;
// - iceberg.point-lookup.cached: on that object, a code not looked up before from the data file and
//   row group the cold lookup read (the object keeps what it read: nothing comes from R2);
// - iceberg.scan: a range of 20 codes (one or two files, one or two row groups);
// - iceberg.lookup.targeted and iceberg.lookup.scatter: the lookup asked of the shard owning the
//   code's partition, or of all 4 shards, each doing its own lookup, and gathered; their p50 ratio is
//   the scatter cost. Which goes first alternates (the first may read the row group into caches).
// Every answer is checked against its CSV row. The pruning reports are the E2E suite's (e2e/iceberg).

import { check } from "k6";
import exec from "k6/execution";
import { icebergApi, sameGroupNeighbour, type Layout, type Lookup } from "../../lib/k6/api/iceberg.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { csvRows, type Row } from "../../lib/k6/datasets";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 10, vus: 4 }, extra: { setupTimeout: "5m" } });

// Relative to the built script, build/perf/iceberg.js.
const DIR = "../../fixtures/standards";
const naicsRows = csvRows("naics", `${DIR}/naics.csv`);
const unspscRows = csvRows("unspsc", `${DIR}/unspsc.csv`);
const iceberg = icebergApi(namespaceClient(target, "iceberg"));
// One object per VU (made on its first iteration: the VU's id is not known at init): another VU's
// cold lookup never empties the cache a cached one is timed on.
let own: ReturnType<typeof icebergApi> | null = null;
const size = { datasetSize: unspscRows.length };
const rowOf = (res: Parameters<typeof bodyJson>[0]): Row | null => (bodyJson(res) as { row?: Row } | undefined)?.row ?? null;

/** UNSPSC's layout, from the table itself: which codes share a row group. */
export function setup(): Layout {
  iceberg.load("naics", naicsRows);
  iceberg.load("unspsc", unspscRows);
  const d = bodyJson(iceberg.describe("unspsc")) as { truncate?: number; rowGroupRows?: number | null } | undefined;
  return { truncate: d?.truncate ?? 2, rowGroupRows: d?.rowGroupRows ?? 1 };
}

export default function (layout: Layout): void {
  const n = exec.scenario.iterationInTest;
  let index = (n * 104_729) % unspscRows.length;
  let neighbour = sameGroupNeighbour(unspscRows, index, "code", layout);
  if (neighbour < 0) (index = (index + 1) % unspscRows.length), (neighbour = sameGroupNeighbour(unspscRows, index, "code", layout));
  const row = unspscRows[index] as Row;
  const other = unspscRows[neighbour] as Row;
  const code = row.code as string;
  const same = (got: Row | null) => got?.title === row.title;
  own ??= icebergApi(namespaceClient(target, `unspsc-vu${exec.vu.idInTest}`));
  check(rowOf(own.point("unspsc", code, true, "iceberg.point-lookup.cold", { ...size, coldStart: true })), { "iceberg: a cold lookup answers the CSV row": same });
  check(rowOf(own.point("unspsc", other.code as string, false, "iceberg.point-lookup.cached", size)), { "iceberg: a cached lookup of another code in the row group answers its CSV row": (got) => got?.title === other.title });
  // 20 consecutive codes of the class the row is in (UNSPSC classes hold 10 codes: two classes).
  const [min, max] = [code, `${code.slice(0, 6)}99`] as [string, string];
  const scan = bodyJson(iceberg.scan("unspsc", min, max, false, "iceberg.scan", size)) as { count?: number } | undefined;
  check(scan, { "iceberg: a range scan returns rows": (s) => (s?.count ?? 0) > 0 });
  const targeted = () => check(bodyJson(iceberg.lookup("unspsc", code, { scatter: false }, "iceberg.lookup.targeted", { ...size, shardCount: 4 })) as Lookup, { "iceberg: targeted to the owning shard, the CSV row": (l) => same(l?.row ?? null) });
  const scatter = () => check(bodyJson(iceberg.lookup("unspsc", code, { scatter: true }, "iceberg.lookup.scatter", { ...size, shardCount: 4 })) as Lookup, { "iceberg: scattered to every shard, the CSV row": (l) => same(l?.row ?? null) });
  if (n % 2 === 0) (targeted(), scatter());
  else (scatter(), targeted());
}

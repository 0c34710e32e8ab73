// E2E: Iceberg tables on R2 (contract §10). setup() loads NAICS and UNSPSC from
// fixtures/standards/*.csv into iceberg. (Parquet data files and Iceberg metadata in the bucket);
// each iteration then looks codes up on naics. and unspsc., cold and then cached (another code of the
// row group the cold lookup read), scans a range, and asks across shards (each shard reading R2
// itself), checking every answer against its CSV row and every pruning report against what a pruned
// read must be. Gate: 100 % of checks (thresholds/e2e/iceberg.json); `npm run bench:e2e`.

import exec from "k6/execution";
import { icebergApi, sameGroupNeighbour, type IcebergTable, type Layout, type Lookup, type Pruning } from "../../lib/k6/api/iceberg.api";
import { namespaceClient } from "../../lib/k6/client";
import { csvRows, type Row, type Rows } from "../../lib/k6/datasets";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke", extra: { setupTimeout: "5m" } });

// Relative to the built script, build/e2e/iceberg.js.
const DIR = "../../fixtures/standards";
const TABLES: Record<IcebergTable, Rows> = { naics: csvRows("naics", `${DIR}/naics.csv`), unspsc: csvRows("unspsc", `${DIR}/unspsc.csv`) };
const loader = icebergApi(namespaceClient(target, "iceberg"));
const point = { naics: icebergApi(namespaceClient(target, "naics")), unspsc: icebergApi(namespaceClient(target, "unspsc")) };

/** Each table's layout, from the table itself (setup), for picking a key of an already cached row group. */
type Layouts = Record<IcebergTable, Layout>;

export function setup(): Layouts {
  const layouts = {} as Layouts;
  for (const table of ["naics", "unspsc"] as const) {
    loader.load(table, TABLES[table]);
    const d = body<{ records: number; files: number; truncate: number; rowGroupRows: number | null }>(loader.describe(table));
    expect("iceberg", `${table}: the table holds every CSV row, in more than one data file`, d.records === TABLES[table].length && d.files > 1);
    layouts[table] = { truncate: d.truncate, rowGroupRows: d.rowGroupRows ?? 1 };
  }
  return layouts;
}

const sameRow = (got: Row | null | undefined, want: Row): boolean => !!got && Object.keys(want).every((k) => got[k] === want[k]);

function tableChecks(table: IcebergTable, n: number, layout: Layout): void {
  const rows = TABLES[table];
  let index = (n * 7919 + 13) % rows.length;
  if (sameGroupNeighbour(rows, index, "code", layout) < 0) index = (index + 1) % rows.length; // a row alone in its group: its neighbour is not
  const row = rows[index] as Row;
  const cold = body<Lookup & { pruning: Pruning }>(point[table].point(table, row.code as string, true, `${table}.get.cold`));
  expect("iceberg", `${table}: a lookup answers the code's CSV row`, sameRow(cold.row, row));
  const p = cold.pruning;
  expect("iceberg", `${table}: a lookup reads one data file, the others pruned by partition and bounds`, p?.files?.read === 1 && p.files.prunedByPartition + p.files.prunedByBounds === p.files.total - 1);
  expect("iceberg", `${table}: a lookup reads one row group, the others pruned by their statistics`, p?.rowGroups?.read === 1);
  expect("iceberg", `${table}: a cold lookup reads the metadata and the data file from R2`, (p?.reads?.metadataFiles ?? 0) >= 3 && p?.reads?.dataFiles === 1 && p.cached === false);
  // Cached: a code not read before, in the data file and row group the cold lookup just read.
  const other = rows[sameGroupNeighbour(rows, index, "code", layout)] as Row;
  const warm = body<Lookup & { pruning: Pruning }>(point[table].point(table, other.code as string, false, `${table}.get.cached`));
  expect("iceberg", `${table}: a cached lookup of another code in the same row group answers its row and reads no R2 object`, sameRow(warm.row, other) && warm.pruning?.reads?.objects === 0 && warm.pruning.cached === true);

  // A range of 20 codes in key order: exactly the CSV's rows between its ends.
  const sorted = rows.length > 0 ? codesOf(table) : [];
  const at = (n * 31) % Math.max(1, sorted.length - 20);
  const [min, max] = [sorted[at] as string, sorted[at + 19] as string];
  const scan = body<{ rows: Row[]; pruning: Pruning }>(loader.scan(table, min, max));
  const want = byCode(table);
  expect("iceberg", `${table}: a range scan returns exactly the CSV rows in the range`, scan.rows?.length === 20 && scan.rows.every((r) => sameRow(r, want.get(r.code as string) as Row)));
  expect("iceberg", `${table}: a range scan prunes the files outside it`, (scan.pruning?.files?.read ?? Infinity) <= 2 && scan.pruning.files.total > 2);

  // Cold, so that every shard's own lookup reads from R2: a scatter costs four real lookups.
  const scattered = body<Lookup>(loader.lookup(table, row.code as string, { scatter: true, cold: true }, "iceberg.lookup.scatter"));
  const targeted = body<Lookup>(loader.lookup(table, row.code as string, { scatter: false }, "iceberg.lookup.targeted"));
  expect("iceberg", `${table}: scattered to every shard and targeted to the owner, the same row`, scattered.shardsQueried === 4 && targeted.shardsQueried === 1 && sameRow(scattered.row, row) && sameRow(targeted.row, row));
  const shards = Array.isArray(scattered.pruning) ? scattered.pruning : [];
  expect("iceberg", `${table}: a scatter reads the data file from R2 on every shard`, shards.length === 4 && shards.every((p) => p !== null && p.reads.dataFiles === 1 && p.files.read === 1));
}

// The bloom filter: a code inside a row group's min/max that is not in the table.
function bloomCheck(): void {
  // Retail (44): its sixth code plus a 0 sorts between its sixth and seventh, inside one 50-row group.
  const codes = codesOf("naics").filter((c) => c.startsWith("44"));
  const missing = `${codes[5]}0`;
  const miss = body<Lookup & { pruning: Pruning }>(loader.lookup("naics", missing, {}, "iceberg.lookup.missing"));
  expect("iceberg", "a missing code is not found, its row group ruled out by the bloom filter", miss.found === false && (miss.pruning?.rowGroups?.prunedByBloom ?? 0) >= 1);
}

const sortedCodes = new Map<IcebergTable, string[]>();
const codesOf = (table: IcebergTable): string[] => {
  if (!sortedCodes.has(table)) {
    const out: string[] = [];
    for (let i = 0; i < TABLES[table].length; i++) out.push((TABLES[table][i] as Row).code as string);
    sortedCodes.set(table, out.sort());
  }
  return sortedCodes.get(table) as string[];
};
const rowsByCode = new Map<IcebergTable, Map<string, Row>>();
const byCode = (table: IcebergTable): Map<string, Row> => {
  if (!rowsByCode.has(table)) {
    const m = new Map<string, Row>();
    for (let i = 0; i < TABLES[table].length; i++) m.set((TABLES[table][i] as Row).code as string, TABLES[table][i] as Row);
    rowsByCode.set(table, m);
  }
  return rowsByCode.get(table) as Map<string, Row>;
};

export default function (layouts: Layouts): void {
  const n = exec.scenario.iterationInTest;
  tableChecks("naics", n, layouts.naics);
  tableChecks("unspsc", n, layouts.unspsc);
  bloomCheck();
}

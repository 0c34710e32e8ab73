// iceberg. (contract §10): Iceberg tables on R2, loaded by staging rows and committing them, then
// looked up (cold or cached, targeted or scattered across shards) and scanned, each answer with its
// pruning report. Used by e2e/iceberg, perf/iceberg and perf/datasets (whose naics./unspsc. point
// lookups read these tables).

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";
import { bodyJson } from "../client";
import type { Row } from "../datasets";

export type IcebergTable = "naics" | "unspsc";

export interface Pruning {
  files: { total: number; prunedByPartition: number; prunedByBounds: number; read: number };
  rowGroups: { total: number; prunedByStats: number; prunedByBloom: number; read: number };
  reads: { objects: number; bytes: number; metadataFiles: number; dataFiles: number };
  cached: boolean;
  pruning: boolean;
}

export interface Lookup {
  row: Row | null;
  found: boolean;
  pruning: Pruning | Array<Pruning | null>;
  shardsQueried?: number;
}

const STAGE_BATCH = 5000;

/** How a table is laid out (GET /iceberg/tables/:table): partitions by the key's first `truncate` characters, `rowGroupRows` rows a row group. */
export interface Layout {
  truncate: number;
  rowGroupRows: number;
}

/**
 * Another row of the same data file and row group as `rows[index]`, for a cached lookup that reads
 * a key not read before from what is already cached. `rows` sorted by key, as the table writes each
 * partition (sorted by key, `rowGroupRows` a group). -1 when the row is alone in its group.
 */
export function sameGroupNeighbour(rows: { length: number; [i: number]: Row }, index: number, key: string, layout: Layout): number {
  const part = (i: number) => String((rows[i] as Row)[key]).slice(0, layout.truncate);
  const mine = part(index);
  let start = index;
  while (start > 0 && part(start - 1) === mine) start--;
  const group = Math.floor((index - start) / layout.rowGroupRows);
  const inGroup = (i: number) => i >= start && i < rows.length && part(i) === mine && Math.floor((i - start) / layout.rowGroupRows) === group;
  return inGroup(index + 1) ? index + 1 : inGroup(index - 1) ? index - 1 : -1;
}

export function icebergApi(c: NamespaceClient) {
  const path = (table: IcebergTable, rest = "") => `/iceberg/tables/${table}${rest}`;
  const api = {
    stage: (table: IcebergTable, rows: unknown[]): JsonResponse => c.post("iceberg.stage", path(table, "/stage"), { rows }),
    /** `alsoNothingStaged`: a 409 (nothing staged) is an answer too, for a loader another may have beaten to it. */
    commit: (table: IcebergTable, alsoNothingStaged = false): JsonResponse => c.post("iceberg.commit", path(table, "/commit"), undefined, { expectStatus: alsoNothingStaged ? [201, 409] : [201] }),
    describe: (table: IcebergTable, meta?: OperationMeta): JsonResponse => c.get("iceberg.describe", path(table), meta),
    /** A point lookup: `cold` drops the object's caches first; `scatter` true asks every shard, false only the owner. */
    lookup: (table: IcebergTable, key: string, opts: { cold?: boolean; scatter?: boolean } = {}, name = "iceberg.lookup", meta?: OperationMeta): JsonResponse =>
      c.get(name, `${path(table, "/lookup")}?key=${encodeURIComponent(key)}${opts.cold ? "&cold=true" : ""}${opts.scatter === undefined ? "" : `&scatter=${opts.scatter}`}`, meta),
    /** The point lookup of naics./unspsc. (`GET /naics/:code`), on a client for that namespace. */
    point: (table: IcebergTable, code: string, cold = false, name = `${table}.get`, meta?: OperationMeta): JsonResponse =>
      c.get(name, `/${table}/${encodeURIComponent(code)}${cold ? "?cold=true" : ""}`, meta),
    scan: (table: IcebergTable, min: string, max: string, cold = false, name = "iceberg.scan", meta?: OperationMeta): JsonResponse => c.post(name, path(table, "/scan"), { min, max, cold }, meta),
    /**
     * Loads `rows` as `table` unless it already holds that many (a deployment loaded before): staged
     * in batches, then one commit writes the Parquet files and the Iceberg metadata.
     */
    load: (table: IcebergTable, rows: { length: number; [i: number]: Row }): void => {
      const have = bodyJson(c.get("iceberg.describe", path(table), { expectStatus: [404] })) as { records?: number } | undefined;
      if (have?.records === rows.length) return;
      for (let i = 0; i < rows.length; i += STAGE_BATCH) {
        const batch: Row[] = [];
        for (let j = i; j < Math.min(i + STAGE_BATCH, rows.length); j++) batch.push(rows[j] as Row);
        api.stage(table, batch);
      }
      // k6 instances of one run (execution segments, k6-operator's runners) each run setup() and
      // load the same rows at once: the stage keeps one copy, commits run one at a time, and the one
      // that finds the stage already committed is answered 409 (nothing staged), which is no error.
      api.commit(table, true);
    },
  };
  return api;
}

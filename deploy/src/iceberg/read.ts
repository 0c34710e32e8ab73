import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { canSkipRowGroup } from "hyparquet/src/filter.js";
import { prefetchBloomFilters } from "hyparquet/src/plan.js";
import { avroMetadata } from "icebird/src/avro/avro.metadata.js";
import { avroRead } from "icebird/src/avro/avro.read.js";
import { counted, noReads, type ObjectStore, type Reads } from "./store";
import { keyOf, tableRoot, type TableRow } from "./table";

// Reading an Iceberg table the way an engine plans a query: table metadata → the current snapshot's
// manifest list → manifests → data files; files are pruned by their partition value and their key
// column's lower/upper bounds (from the manifest), then each remaining file's row groups by their
// min/max statistics and, for an equality, the key column's bloom filter (hyparquet's own
// canSkipRowGroup and bloom filter reader); only the row groups left are read. Everything read is
// kept in this object's memory: a cached lookup reads nothing from the bucket, and `cold` drops it
// all first, so a cold lookup reads metadata and data from R2 again.

interface DataFile {
  key: string;
  partition: string | null;
  records: number;
  size: number;
  lower: string | null;
  upper: string | null;
}

interface Table {
  name: string;
  keyColumn: string;
  truncate: number;
  /** Rows per row group as written (the table's `perfdo.row-group-rows` property), null when unknown. */
  rowGroupRows: number | null;
  files: DataFile[];
  snapshotId: number;
}

export interface Pruning {
  files: { total: number; prunedByPartition: number; prunedByBounds: number; read: number };
  rowGroups: { total: number; prunedByStats: number; prunedByBloom: number; read: number };
  reads: { objects: number; bytes: number; metadataFiles: number; dataFiles: number };
  cached: boolean;
  pruning: boolean;
}

const decoder = new TextDecoder();
const text = (buf: ArrayBuffer | null, what: string): string => {
  if (!buf) throw new Error(`${what} is missing`);
  return decoder.decode(buf);
};
export const avroRecords = (buf: ArrayBuffer | null, what: string): Array<Record<string, unknown>> => {
  if (!buf) throw new Error(`${what} is missing`);
  const reader = { view: new DataView(buf), offset: 0 };
  const { metadata, syncMarker } = avroMetadata(reader);
  return avroRead({ reader, metadata, syncMarker }) as Array<Record<string, unknown>>;
};
const boundOf = (bounds: unknown, fieldId: number): string | null => {
  const hit = Array.isArray(bounds) ? (bounds as Array<{ key: number; value: Uint8Array }>).find((b) => Number(b.key) === fieldId) : undefined;
  return hit ? decoder.decode(hit.value) : null;
};

export class TableReader {
  private table: Table | null = null;
  private readonly footers = new Map<string, FileMetaData>();
  private readonly blooms = new Map<string, Array<Record<string, unknown>>>();
  private readonly groups = new Map<string, TableRow[]>();
  private reads: Reads = noReads();
  private readonly store: ObjectStore;

  constructor(store: ObjectStore, private readonly name: string) {
    this.store = counted(store, () => this.reads);
  }

  /** Forgets everything read: the next query reads metadata and data from the bucket. */
  dropCaches(): void {
    this.table = null;
    this.footers.clear();
    this.blooms.clear();
    this.groups.clear();
  }

  private async load(): Promise<Table> {
    if (this.table) return this.table;
    const root = tableRoot(this.name);
    const version = text(await this.store.get(`${root}/metadata/version-hint.text`), `table ${this.name} (no version hint)`).trim();
    const meta = JSON.parse(text(await this.store.get(`${root}/metadata/v${version}.metadata.json`), `table ${this.name} metadata v${version}`)) as {
      "current-snapshot-id": number;
      snapshots: Array<{ "snapshot-id": number; "manifest-list": string }>;
      schemas: Array<{ fields: Array<{ id: number; name: string }>; "identifier-field-ids"?: number[] }>;
      "partition-specs": Array<{ fields: Array<{ name: string; transform: string; "source-id": number }> }>;
      properties?: Record<string, string>;
    };
    const snapshot = meta.snapshots.find((s) => s["snapshot-id"] === meta["current-snapshot-id"]);
    if (!snapshot) throw new Error(`table ${this.name} has no current snapshot`);
    const part = meta["partition-specs"][0]?.fields[0];
    const keyId = part?.["source-id"] ?? meta.schemas[0]?.["identifier-field-ids"]?.[0] ?? 1;
    const keyColumn = meta.schemas[0]?.fields.find((f) => f.id === keyId)?.name ?? "code";
    const truncate = Number(/^truncate\[(\d+)\]$/.exec(part?.transform ?? "")?.[1] ?? 0);
    const manifests = avroRecords(await this.store.get(keyOf(snapshot["manifest-list"])), "manifest list");
    const files: DataFile[] = [];
    for (const m of manifests) {
      for (const e of avroRecords(await this.store.get(keyOf(String(m.manifest_path))), "manifest")) {
        if (Number(e.status) === 2) continue; // DELETED
        const f = e.data_file as Record<string, unknown>;
        files.push({
          key: keyOf(String(f.file_path)),
          partition: part ? ((f.partition as Record<string, string | null>)[part.name] ?? null) : null,
          records: Number(f.record_count),
          size: Number(f.file_size_in_bytes),
          lower: boundOf(f.lower_bounds, keyId),
          upper: boundOf(f.upper_bounds, keyId),
        });
      }
    }
    const groupRows = Number(meta.properties?.["perfdo.row-group-rows"]);
    this.table = { name: this.name, keyColumn, truncate, rowGroupRows: Number.isInteger(groupRows) && groupRows > 0 ? groupRows : null, files, snapshotId: meta["current-snapshot-id"] };
    return this.table;
  }

  private buffer(file: DataFile): AsyncBuffer {
    return { byteLength: file.size, slice: async (start, end) => (await this.store.get(file.key, { offset: start, length: (end ?? file.size) - start })) as ArrayBuffer };
  }

  /**
   * The rows whose key is in [min, max] (a point lookup when min = max), with what was pruned and
   * read. `pruning: false` reads every file and row group (the fault switch that proves the E2E
   * check on files read can fail).
   */
  async query(min: string, max: string, opts: { cold?: boolean; pruning?: boolean } = {}): Promise<{ rows: TableRow[]; report: Pruning }> {
    if (opts.cold) this.dropCaches();
    const cachedBefore = this.table !== null;
    this.reads = noReads();
    const pruning = opts.pruning !== false;
    const table = await this.load();
    const report: Pruning = {
      files: { total: table.files.length, prunedByPartition: 0, prunedByBounds: 0, read: 0 },
      rowGroups: { total: 0, prunedByStats: 0, prunedByBloom: 0, read: 0 },
      reads: { objects: 0, bytes: 0, metadataFiles: 0, dataFiles: 0 },
      cached: false,
      pruning,
    };
    // A partition holds keys with one prefix: a range can only be in partitions between its ends'.
    const lowPart = min.slice(0, table.truncate);
    const highPart = max.slice(0, table.truncate);
    const filter = min === max ? { [table.keyColumn]: { $eq: min } } : { [table.keyColumn]: { $gte: min, $lte: max } };
    const rows: TableRow[] = [];
    for (const file of table.files) {
      if (pruning && table.truncate > 0 && file.partition !== null && (file.partition < lowPart || file.partition > highPart)) {
        report.files.prunedByPartition++;
        continue;
      }
      if (pruning && ((file.upper !== null && file.upper < min) || (file.lower !== null && file.lower > max))) {
        report.files.prunedByBounds++;
        continue;
      }
      report.files.read++;
      let footer = this.footers.get(file.key);
      if (!footer) {
        footer = await parquetMetadataAsync(this.buffer(file), { initialFetchSize: 16_384 });
        this.footers.set(file.key, footer);
      }
      const physical = footer.schema.slice(1).map((s) => s.name);
      let blooms = this.blooms.get(file.key);
      if (!blooms && pruning && min === max) {
        blooms = (await prefetchBloomFilters({ file: this.buffer(file), metadata: footer, filter })) as Array<Record<string, unknown>>;
        this.blooms.set(file.key, blooms);
      }
      let start = 0;
      for (const [i, group] of footer.row_groups.entries()) {
        const groupRows = Number(group.num_rows);
        const groupStart = start;
        start += groupRows;
        report.rowGroups.total++;
        if (pruning && canSkipRowGroup({ rowGroup: group, physicalColumns: physical, filter })) {
          report.rowGroups.prunedByStats++;
          continue;
        }
        if (pruning && blooms?.[i] && Object.keys(blooms[i] as object).length > 0 && canSkipRowGroup({ rowGroup: group, physicalColumns: physical, filter, bloomFilters: blooms[i] as never, schemaElements: Object.fromEntries(footer.schema.slice(1).map((s) => [s.name, s])) as never })) {
          report.rowGroups.prunedByBloom++;
          continue;
        }
        report.rowGroups.read++;
        const cacheKey = `${file.key}#${i}`;
        let data = this.groups.get(cacheKey);
        if (!data) {
          data = (await parquetReadObjects({ file: this.buffer(file), metadata: footer, rowStart: groupStart, rowEnd: groupStart + groupRows })) as TableRow[];
          this.groups.set(cacheKey, data);
        }
        for (const row of data) {
          const k = String(row[table.keyColumn]);
          if (k >= min && k <= max) rows.push(row);
        }
      }
    }
    report.reads = { objects: this.reads.objects, bytes: this.reads.bytes, metadataFiles: this.reads.metadataFiles.size, dataFiles: this.reads.dataFiles.size };
    report.cached = cachedBefore && this.reads.objects === 0;
    return { rows, report };
  }

  /** The partition values of the table's data files (reads metadata only, once). */
  async partitions(): Promise<Array<string | null>> {
    return [...new Set((await this.load()).files.map((f) => f.partition))];
  }

  /** What the table is: files, rows, partitions, snapshot (reads metadata only). */
  async describe(): Promise<{ table: string; snapshotId: number; files: number; records: number; partitions: number; bytes: number; keyColumn: string; truncate: number; rowGroupRows: number | null }> {
    const t = await this.load();
    return { table: t.name, snapshotId: t.snapshotId, files: t.files.length, records: t.files.reduce((n, f) => n + f.records, 0), partitions: new Set(t.files.map((f) => f.partition)).size, bytes: t.files.reduce((n, f) => n + f.size, 0), keyColumn: t.keyColumn, truncate: t.truncate, rowGroupRows: t.rowGroupRows };
  }
}

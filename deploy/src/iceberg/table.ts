import { ByteWriter, parquetWriteBuffer, schemaFromColumnData } from "hyparquet-writer";
import { avroWrite } from "icebird/src/avro/avro.write.js";
import type { ObjectStore } from "./store";

// Writing an Iceberg table (format version 2) into an object store: Parquet data files written by
// hyparquet-writer (row groups with min/max statistics, a bloom filter on the key column), manifests
// and the manifest list as Avro written by icebird's Avro writer, and the table metadata JSON with
// its version hint, laid out as the Iceberg spec lays out a table:
//
//   warehouse/<table>/metadata/version-hint.text, v<N>.metadata.json, snap-<id>.avro, <uuid>-m0.avro
//   warehouse/<table>/data/<partition>=<value>/<uuid>.parquet
//
// Paths inside the metadata are absolute (`r2://perfdo-iceberg/warehouse/…`), as Iceberg requires;
// readers map them back to keys with keyOf. Every table here is partitioned by truncate[W] of its
// key column (NAICS by sector, UNSPSC by segment) and sorted by key within each file, so a point
// lookup prunes to one file by partition and bounds, then to one row group by statistics.

export const LOCATION = "r2://perfdo-iceberg";
export const keyOf = (path: string): string => (path.startsWith(`${LOCATION}/`) ? path.slice(LOCATION.length + 1) : path);
export const tableRoot = (table: string): string => `warehouse/${table}`;

export interface TableSpec {
  /** Column names, all strings (the CSV's values as they are). */
  columns: string[];
  /** The column lookups and scans are by; the first column. */
  key: string;
  /** Partitions are the first `truncate` characters of the key (Iceberg's truncate[W] transform). */
  truncate: number;
  /** Rows per Parquet row group. */
  rowGroupRows: number;
}

export type TableRow = Record<string, string | null>;

// Field ids: columns 1…n in order; the partition field 1000 (the spec's first partition field id).
const PARTITION_FIELD_ID = 1000;
const partitionName = (spec: TableSpec) => `${spec.key}_trunc`;

/** The table's schema (Iceberg spec, "Schemas"): every column a string, the key required, ids 1…n. */
const tableSchema = (spec: TableSpec) => ({
  type: "struct",
  "schema-id": 0,
  "identifier-field-ids": [spec.columns.indexOf(spec.key) + 1],
  fields: spec.columns.map((name, i) => ({ id: i + 1, name, required: name === spec.key, type: "string" })),
});

/** The partition spec: truncate[W] of the key column, field id 1000. */
const partitionSpec = (spec: TableSpec) => ({
  "spec-id": 0,
  fields: [{ name: partitionName(spec), transform: `truncate[${spec.truncate}]`, "source-id": spec.columns.indexOf(spec.key) + 1, "field-id": PARTITION_FIELD_ID }],
});

/** The Avro schema of a manifest entry (Iceberg spec, "Manifests"), with this table's partition struct. */
function manifestEntrySchema(spec: TableSpec) {
  const bounds = (id: number, keyId: number, valueId: number) => ({
    type: ["null", { type: "array", items: { type: "record", name: `k${keyId}_v${valueId}`, fields: [{ name: "key", type: "int", "field-id": keyId }, { name: "value", type: "bytes", "field-id": valueId }] } }],
    default: null,
    "field-id": id,
  });
  return {
    type: "record",
    name: "manifest_entry",
    fields: [
      { name: "status", type: "int", "field-id": 0 },
      { name: "snapshot_id", type: ["null", "long"], default: null, "field-id": 1 },
      { name: "sequence_number", type: ["null", "long"], default: null, "field-id": 3 },
      { name: "file_sequence_number", type: ["null", "long"], default: null, "field-id": 4 },
      {
        name: "data_file",
        "field-id": 2,
        type: {
          type: "record",
          name: "r2",
          fields: [
            { name: "content", type: "int", "field-id": 134 },
            { name: "file_path", type: "string", "field-id": 100 },
            { name: "file_format", type: "string", "field-id": 101 },
            { name: "partition", "field-id": 102, type: { type: "record", name: "r102", fields: [{ name: partitionName(spec), type: ["null", "string"], default: null, "field-id": PARTITION_FIELD_ID }] } },
            { name: "record_count", type: "long", "field-id": 103 },
            { name: "file_size_in_bytes", type: "long", "field-id": 104 },
            { name: "lower_bounds", ...bounds(125, 126, 127) },
            { name: "upper_bounds", ...bounds(128, 129, 130) },
          ],
        },
      },
    ],
  };
}

/** The Avro schema of a manifest list entry (Iceberg spec, "Manifest Lists"). */
const MANIFEST_FILE_SCHEMA = {
  type: "record",
  name: "manifest_file",
  fields: [
    { name: "manifest_path", type: "string", "field-id": 500 },
    { name: "manifest_length", type: "long", "field-id": 501 },
    { name: "partition_spec_id", type: "int", "field-id": 502 },
    { name: "content", type: "int", "field-id": 517 },
    { name: "sequence_number", type: "long", "field-id": 515 },
    { name: "min_sequence_number", type: "long", "field-id": 516 },
    { name: "added_snapshot_id", type: "long", "field-id": 503 },
    { name: "added_files_count", type: "int", "field-id": 504 },
    { name: "existing_files_count", type: "int", "field-id": 505 },
    { name: "deleted_files_count", type: "int", "field-id": 506 },
    { name: "added_rows_count", type: "long", "field-id": 512 },
    { name: "existing_rows_count", type: "long", "field-id": 513 },
    { name: "deleted_rows_count", type: "long", "field-id": 514 },
  ],
};

// Avro longs are zig-zag varints (Avro spec, "Binary Encoding").
function readLong(buf: Uint8Array, at: { offset: number }): number {
  let n = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = buf[at.offset++] as number;
    n += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
function writeLong(out: number[], value: number): void {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
}

/**
 * An Avro object container file with `metadata` added to its header. icebird's writer puts only
 * avro.schema and avro.codec there; Iceberg keeps a manifest's schema, partition spec, format version
 * and content, and a manifest list's snapshot, in that header (Iceberg spec, "Manifests" and
 * "Manifest Lists"), and readers such as iceberg-go read them from it. Only the header is rewritten:
 * the sync marker and data blocks are copied as written.
 */
export function withAvroMetadata(file: Uint8Array, metadata: Record<string, string>): Uint8Array {
  const at = { offset: 4 }; // past "Obj\x01"
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  for (let count = readLong(file, at); count !== 0; count = readLong(file, at)) {
    if (count < 0) readLong(file, at); // a negative count is followed by the block's size in bytes
    for (let i = 0; i < Math.abs(count); i++) {
      const keyLength = readLong(file, at);
      const key = file.slice(at.offset, (at.offset += keyLength));
      const valueLength = readLong(file, at);
      entries.push([key, file.slice(at.offset, (at.offset += valueLength))]);
    }
  }
  const encode = (s: string) => new TextEncoder().encode(s);
  for (const [k, v] of Object.entries(metadata)) entries.push([encode(k), encode(v)]);
  const head: number[] = [...file.slice(0, 4)];
  writeLong(head, entries.length);
  for (const [k, v] of entries) {
    writeLong(head, k.length);
    head.push(...k);
    writeLong(head, v.length);
    head.push(...v);
  }
  writeLong(head, 0);
  const out = new Uint8Array(head.length + file.length - at.offset);
  out.set(head);
  out.set(file.subarray(at.offset), head.length);
  return out;
}

const avro = (schema: object, records: object[], metadata: Record<string, string>): Uint8Array => {
  const writer = new ByteWriter();
  avroWrite({ writer, schema: schema as never, records: records as never[] });
  return withAvroMetadata(new Uint8Array(writer.getBuffer()), metadata);
};
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Writes `rows` as a new table (replacing one of that name): one Parquet file per partition, one
 * manifest, one manifest list, metadata v<n+1>. As Iceberg commits, every new file is written
 * first, under a name no reader uses yet, and the table's pointer (version-hint.text) is swapped
 * last: a commit that fails part-way leaves the previous version whole and readable. After the
 * swap, files of versions older than the previous one are deleted (and whatever a failed commit
 * left): the previous version stays, as Iceberg keeps a snapshot until it is expired, because
 * readers in other objects may still hold its metadata (a k6 instance's lookups, a shard's cache).
 * Each version lists its files (v<N>.files.json) so the next commit knows what to keep. Returns
 * what was written.
 */
export async function writeTable(store: ObjectStore, table: string, spec: TableSpec, rows: TableRow[]): Promise<{ files: number; rows: number; snapshotId: number; bytes: number; version: number }> {
  const root = tableRoot(table);
  const hint = await store.get(`${root}/metadata/version-hint.text`);
  const previous = hint ? Number(new TextDecoder().decode(hint).trim()) || 0 : 0;
  const version = previous + 1;
  const written = new Set<string>();
  const put = async (key: string, data: Uint8Array | ArrayBuffer | string) => (written.add(key), await store.put(key, data));
  const snapshotId = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  const partitions = new Map<string, TableRow[]>();
  for (const row of rows) {
    const value = String(row[spec.key] ?? "").slice(0, spec.truncate);
    (partitions.get(value) ?? partitions.set(value, []).get(value) as TableRow[]).push(row);
  }
  const entries: object[] = [];
  let bytes = 0;
  for (const [value, part] of [...partitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    part.sort((a, b) => (String(a[spec.key]) < String(b[spec.key]) ? -1 : 1));
    // The key column is required, as the table's schema says; every column carries its Iceberg
    // field id (Iceberg spec, "Parquet": readers map columns by id, not by name).
    const columnData = spec.columns.map((name) => ({ name, data: part.map((r) => r[name] ?? null), type: "STRING" as const, nullable: name !== spec.key, bloomFilter: name === spec.key }));
    const schema = schemaFromColumnData({ columnData }).map((element, i) => (i === 0 ? element : { ...element, field_id: i }));
    const buffer = parquetWriteBuffer({
      columnData: columnData.map(({ name, data, bloomFilter }) => ({ name, data, bloomFilter })),
      schema,
      rowGroupSize: spec.rowGroupRows,
      statisticsTruncateLength: Infinity,
    });
    const path = `${root}/data/${partitionName(spec)}=${value}/${crypto.randomUUID()}.parquet`;
    await put(path, buffer);
    bytes += buffer.byteLength;
    const keyFieldId = spec.columns.indexOf(spec.key) + 1;
    entries.push({
      status: 1, // ADDED
      snapshot_id: BigInt(snapshotId),
      sequence_number: 1n,
      file_sequence_number: 1n,
      data_file: {
        content: 0,
        file_path: `${LOCATION}/${path}`,
        file_format: "PARQUET",
        partition: { [partitionName(spec)]: value },
        record_count: BigInt(part.length),
        file_size_in_bytes: BigInt(buffer.byteLength),
        lower_bounds: [{ key: keyFieldId, value: utf8(String(part[0]?.[spec.key])) }],
        upper_bounds: [{ key: keyFieldId, value: utf8(String(part[part.length - 1]?.[spec.key])) }],
      },
    });
  }
  const manifestKey = `${root}/metadata/${crypto.randomUUID()}-m0.avro`;
  const manifest = avro(manifestEntrySchema(spec), entries, {
    schema: JSON.stringify(tableSchema(spec)),
    "schema-id": "0",
    "partition-spec": JSON.stringify(partitionSpec(spec).fields),
    "partition-spec-id": "0",
    "format-version": "2",
    content: "data",
  });
  await put(manifestKey, manifest);
  const listKey = `${root}/metadata/snap-${snapshotId}-1.avro`;
  const listMetadata = { "snapshot-id": String(snapshotId), "parent-snapshot-id": "null", "sequence-number": "1", "format-version": "2" };
  await put(listKey, avro(MANIFEST_FILE_SCHEMA, [{
    manifest_path: `${LOCATION}/${manifestKey}`,
    manifest_length: BigInt(manifest.byteLength),
    partition_spec_id: 0,
    content: 0,
    sequence_number: 1n,
    min_sequence_number: 1n,
    added_snapshot_id: BigInt(snapshotId),
    added_files_count: entries.length,
    existing_files_count: 0,
    deleted_files_count: 0,
    added_rows_count: BigInt(rows.length),
    existing_rows_count: 0n,
    deleted_rows_count: 0n,
  }], listMetadata));
  const now = Date.now();
  const metadata = {
    "format-version": 2,
    "table-uuid": crypto.randomUUID(),
    location: `${LOCATION}/${root}`,
    "last-sequence-number": 1,
    "last-updated-ms": now,
    "last-column-id": spec.columns.length,
    "current-schema-id": 0,
    schemas: [tableSchema(spec)],
    "default-spec-id": 0,
    "partition-specs": [partitionSpec(spec)],
    "last-partition-id": PARTITION_FIELD_ID,
    "default-sort-order-id": 1,
    "sort-orders": [{ "order-id": 0, fields: [] }, { "order-id": 1, fields: [{ transform: "identity", "source-id": spec.columns.indexOf(spec.key) + 1, direction: "asc", "null-order": "nulls-first" }] }],
    properties: { "write.format.default": "parquet", [`write.parquet.bloom-filter-enabled.column.${spec.key}`]: "true", "perfdo.row-group-rows": String(spec.rowGroupRows) },
    "current-snapshot-id": snapshotId,
    refs: { main: { "snapshot-id": snapshotId, type: "branch" } },
    snapshots: [{ "snapshot-id": snapshotId, "sequence-number": 1, "timestamp-ms": now, "manifest-list": `${LOCATION}/${listKey}`, summary: { operation: "append", "added-data-files": String(entries.length), "added-records": String(rows.length), "total-records": String(rows.length) }, "schema-id": 0 }],
    "snapshot-log": [{ "timestamp-ms": now, "snapshot-id": snapshotId }],
    "metadata-log": [],
  };
  await put(`${root}/metadata/v${version}.metadata.json`, JSON.stringify(metadata));
  // The commit: readers follow the hint to the new metadata from here on.
  const filesOf = (v: number) => `${root}/metadata/v${v}.files.json`;
  await put(filesOf(version), JSON.stringify([...written]));
  await put(`${root}/metadata/version-hint.text`, String(version));
  // Older versions go; the previous one stays (see above). A table written before versions listed
  // their files has no list: nothing is deleted then. A failure here leaves files, never a broken table.
  const keptList = previous > 0 ? await store.get(filesOf(previous)) : null;
  if (previous === 0 || keptList) {
    const kept = new Set<string>([...written, filesOf(previous), ...(keptList ? (JSON.parse(new TextDecoder().decode(keptList)) as string[]) : [])]);
    await store.delete((await store.list(`${root}/`)).filter((key) => !kept.has(key))).catch(() => undefined);
  }
  return { files: entries.length, rows: rows.length, snapshotId, bytes, version };
}

import type { RouterType } from "itty-router";
import { parquetMetadataAsync, parquetReadObjects, type FileMetaData } from "hyparquet";
import { canSkipRowGroup } from "hyparquet/src/filter.js";
import { parquetWriteBuffer } from "hyparquet-writer";
import { q, s as v, withBody, withQuery, type Infer } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, HttpError, json, refuse } from "../http";
import { R2Error, storeBuffer, type ObjectStore } from "../iceberg/store";

// Parquet files in the bucket (contract §10), on iceberg.: written by hyparquet-writer (row groups
// with min/max statistics, snappy or uncompressed) and read by hyparquet, by row, by row group, by
// column and by filter, the filter pushed down to the row groups' statistics unless `pushdown=false`.
// `/parquet/read|rowgroup|query` read the sample file (parquet/sample.parquet); `/parquet/r2/…` any
// object by `path`. Files are written and deleted only under parquet/ and benchmark/ (never an
// Iceberg table's files). The sample and the suite's benchmark/{small,medium,large,wide}-file-<n>
// files are generated the first time they are read, each a fixed function of its name (GENERATED).

const MAX_RECORDS = 100_000;
const MAX_ROWS_OUT = 1_000;
const WRITABLE = ["parquet/", "benchmark/"];
const SAMPLE = "parquet/sample.parquet";
const PATH = /^(?:[\w.=-]+\/){0,10}[\w.=-]+$/;
const Path = v.string({ max: 512, pattern: PATH, expected: "an object path of at most 512 characters (letters, digits, _ . = - and /)" });

type Row = Record<string, unknown>;

/** Generated files: rows of `columns` per name, each value a fixed function of the row. */
const GENERATED: Array<{ pattern: RegExp; rows: number; wide: boolean }> = [
  { pattern: /^parquet\/sample\.parquet$/, rows: 10_000, wide: false },
  { pattern: /^benchmark\/small-file-\d+\.parquet$/, rows: 1_000, wide: false },
  { pattern: /^benchmark\/medium-file-\d+\.parquet$/, rows: 10_000, wide: false },
  { pattern: /^benchmark\/large-file-\d+\.parquet$/, rows: 50_000, wide: false },
  { pattern: /^benchmark\/wide-file-\d+\.parquet$/, rows: 1_000, wide: true },
];
export function generatedRows(n: number, wide: boolean): Row[] {
  return Array.from({ length: n }, (_, i) => {
    const row: Row = { id: `record-${i}`, category: `category-${i % 10}`, value: i, name: `Record ${i}`, timestamp: 1_704_067_200_000 + i * 60_000 };
    if (wide) for (let c = 0; c < 45; c++) row[`col_${c}`] = `v${(i * 31 + c) % 997}`;
    return row;
  });
}

/** A column's Parquet type from its values: integers that fit 32 bits INT32, other numbers DOUBLE, booleans BOOLEAN, strings STRING, anything else JSON. */
function typeOf(values: unknown[]): "INT32" | "DOUBLE" | "BOOLEAN" | "STRING" | "JSON" {
  const present = values.filter((x) => x !== null && x !== undefined);
  if (present.length > 0 && present.every((x) => typeof x === "number")) return present.every((x) => Number.isInteger(x) && Math.abs(x as number) < 2 ** 31) ? "INT32" : "DOUBLE";
  if (present.length > 0 && present.every((x) => typeof x === "boolean")) return "BOOLEAN";
  return present.every((x) => typeof x === "string") ? "STRING" : "JSON";
}

/** Records as Parquet bytes: columns from the first record's keys, row groups of `rowGroupSize`. */
export function writeRecords(records: Row[], opts: { rowGroupSize?: number; codec?: "SNAPPY" | "UNCOMPRESSED" } = {}): ArrayBuffer {
  const names = Object.keys(records[0] ?? {});
  return parquetWriteBuffer({
    columnData: names.map((name) => {
      const data = records.map((r) => (r[name] === undefined ? null : r[name]));
      return { name, data, type: typeOf(data) };
    }),
    rowGroupSize: opts.rowGroupSize ?? 1_000,
    codec: opts.codec ?? "SNAPPY",
    statisticsTruncateLength: Infinity,
  });
}

/** `category:value` (equality) or `value:min..max` (a range), as hyparquet's filter. */
function parseFilter(f: string): { column: string; filter: Record<string, unknown> } | null {
  const m = /^([A-Za-z_]\w{0,63}):(.+)$/.exec(f);
  if (!m) return null;
  const [, column, expr] = m as unknown as [string, string, string];
  const range = /^(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)$/.exec(expr);
  if (range) return { column, filter: { [column]: { $gte: Number(range[1]), $lte: Number(range[2]) } } };
  return { column, filter: { [column]: { $eq: /^-?\d+(?:\.\d+)?$/.test(expr) ? Number(expr) : expr } } };
}

function parquetRoutes(router: RouterType, ctx: FeatureContext): void {
  const store = (): ObjectStore => ctx.store ?? refuse(503, "no R2 bucket is bound (ICEBERG)");
  const metas = new Map<string, FileMetaData>();
  /** The file at `key` (generated first when it is one of GENERATED and absent), with its footer. */
  const open = async (key: string, route: string) => {
    const s = store();
    let buf = await storeBuffer(s, key);
    const gen = GENERATED.find((g) => g.pattern.test(key));
    if (!buf && gen) {
      await s.put(key, writeRecords(generatedRows(gen.rows, gen.wide)));
      metas.delete(key);
      buf = await storeBuffer(s, key);
    }
    if (!buf) refuse(404, `${route}: nothing at ${key}`);
    let metadata = metas.get(key);
    if (!metadata || metas.size > 64) {
      if (metas.size > 64) metas.clear();
      metadata = await parquetMetadataAsync(buf);
      metas.set(key, metadata);
    }
    return { buf, metadata };
  };
  const guarded = (route: string, fn: () => Promise<Response>) => fn().catch((err: unknown) => {
    if (err instanceof HttpError) throw err;
    if (err instanceof R2Error) return fail(502, `${route}: ${err.message}`);
    return fail(422, `${route}: ${(err as Error).message}`);
  });
  /** An index into the file: within 0..max once the file is known. */
  const within = (n: number, max: number, name: string, route: string): number => (n <= max ? n : refuse(400, `${route}: query.${name}: expected an integer from 0 to ${max}`));
  const Columns = q.list(q.string({ min: 1, max: 128 }), { max: 64 });
  const Index = q.int({ min: 0, max: 2 ** 31 });
  const Limit = q.int({ min: 0, max: MAX_ROWS_OUT });
  const groupStart = (m: FileMetaData, g: number) => m.row_groups.slice(0, g).reduce((s, r) => s + Number(r.num_rows), 0);

  // ---- the sample file ----
  router.get("/parquet/read", withQuery({ id: v.optional(q.string()), row: v.optional(Index), offset: v.optional(Index), limit: v.optional(Limit), columns: v.optional(Columns) }, (query) => guarded("GET /parquet/read", async () => {
    const route = "GET /parquet/read";
    const f = await open(SAMPLE, route);
    const total = Number(f.metadata.num_rows);
    const columns = query.columns?.filter(Boolean);
    if (query.id !== undefined) {
      const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, filter: { id: { $eq: query.id } }, columns })) as Row[];
      return rows[0] ? json({ row: rows[0] }) : fail(404, `${route}: no record ${query.id.slice(0, 80)}`);
    }
    const row = query.row;
    const start = row !== undefined ? within(row, total - 1, "row", route) : within(query.offset ?? 0, total, "offset", route);
    const limit = row !== undefined ? 1 : (query.limit ?? 100);
    const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, rowStart: start, rowEnd: Math.min(total, start + limit), columns })) as Row[];
    return json(row !== undefined ? { row: rows[0] ?? null, index: start } : { rows, offset: start, count: rows.length, total });
  })));
  const GroupQuery = { group: v.optional(Index), offset: v.optional(Index), limit: v.optional(Limit), columns: v.optional(Columns) };
  const rowGroup = async (key: string, query: Infer<ReturnType<typeof v.object<typeof GroupQuery>>>, route: string): Promise<Response> => {
    const f = await open(key, route);
    const groups = f.metadata.row_groups.length;
    const g = within(query.group ?? 0, groups - 1, "group", route);
    const size = Number(f.metadata.row_groups[g]?.num_rows ?? 0);
    const offset = Math.min(query.offset ?? 0, size);
    const limit = query.limit ?? MAX_ROWS_OUT;
    const start = groupStart(f.metadata, g) + offset;
    const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, rowStart: start, rowEnd: Math.min(start + limit, groupStart(f.metadata, g) + size), columns: query.columns?.filter(Boolean) })) as Row[];
    return json({ path: key, group: g, groups, groupRows: size, offset, rows, count: rows.length });
  };
  router.get("/parquet/rowgroup", withQuery(GroupQuery, (query) => guarded("GET /parquet/rowgroup", async () => rowGroup(SAMPLE, query, "GET /parquet/rowgroup"))));
  // Filters (repeated `filter=`) ANDed; pushdown skips the row groups whose statistics rule them out.
  const Filter = v.parsed("<column>:<value> or <column>:<min>..<max>", (x) => (typeof x === "string" && x.length <= 256 ? parseFilter(x) : null), "value:1..10");
  router.get("/parquet/query", withQuery({ filter: q.repeated(Filter, { min: 1, max: 16 }), pushdown: v.optional(q.bool()) }, (query) => guarded("GET /parquet/query", async () => {
    const route = "GET /parquet/query";
    const filters = query.filter;
    const f = await open(SAMPLE, route);
    const names = f.metadata.schema.slice(1).map((s) => s.name);
    const unknown = filters.find((x) => !names.includes(x.column));
    if (unknown) return fail(400, `${route}: no column ${unknown.column} (${names.join(", ")})`);
    const filter = filters.length === 1 ? (filters[0] as { filter: Row }).filter : { $and: filters.map((x) => x.filter) };
    const pushdown = query.pushdown !== false;
    let start = 0;
    let read = 0;
    let skipped = 0;
    const rows: Row[] = [];
    for (const group of f.metadata.row_groups) {
      const n = Number(group.num_rows);
      if (pushdown && canSkipRowGroup({ rowGroup: group, physicalColumns: names, filter })) skipped++;
      else {
        read++;
        rows.push(...((await parquetReadObjects({ file: f.buf, metadata: f.metadata, rowStart: start, rowEnd: start + n, filter: filter as never })) as Row[]));
      }
      start += n;
    }
    return json({ count: rows.length, rows: rows.slice(0, MAX_ROWS_OUT), pushdown, rowGroups: { total: f.metadata.row_groups.length, read, skipped } });
  })));
  const Records = v.array(v.record(), { min: 1, max: MAX_RECORDS });
  const Codec = v.optional(v.literal("snappy", "uncompressed", "SNAPPY", "UNCOMPRESSED"));
  const writable = (path: string, route: string): void => {
    if (!WRITABLE.some((p) => path.startsWith(p))) refuse(400, `${route}: ${path.slice(0, 80)} is outside ${WRITABLE.join(" and ")}`);
  };
  const write = async (route: string, records: Row[], path: string, compression?: string, extra: Record<string, unknown> = {}) => {
    const s = store();
    writable(path, route);
    let bytes: ArrayBuffer;
    try {
      bytes = writeRecords(records, { codec: compression?.toUpperCase() === "UNCOMPRESSED" ? "UNCOMPRESSED" : "SNAPPY" });
    } catch (err) {
      return fail(400, `${route}: the records are not one table of scalar columns: ${(err as Error).message}`);
    }
    await s.put(path, bytes);
    metas.delete(path);
    return json({ path, rows: records.length, bytes: bytes.byteLength, rowGroups: Math.ceil(records.length / 1_000), ...extra }, 201);
  };
  router.post("/parquet/write", withBody(v.object({ records: Records, path: v.optional(Path), compression: Codec }), ({ records, path, compression }) =>
    guarded("POST /parquet/write", () => write("POST /parquet/write", records, path ?? `parquet/written/${crypto.randomUUID()}.parquet`, compression))));

  // ---- any object, by path ----
  const ByPath = { path: Path };
  router.post("/parquet/r2/write", withBody(v.object({ records: Records, path: Path, compression: Codec }), ({ records, path, compression }) =>
    guarded("POST /parquet/r2/write", () => write("POST /parquet/r2/write", records, path, compression))));
  // The bucket interface here puts an object whole: a multipart request is written in one put, and says so.
  router.post("/parquet/r2/multipart", withBody(v.object({ records: Records, path: Path, partSize: v.optional(v.number({ integer: true, min: 5 * 1024 * 1024, max: 5 * 1024 * 1024 * 1024 })), compression: Codec }), ({ records, path, partSize, compression }) =>
    guarded("POST /parquet/r2/multipart", () => write("POST /parquet/r2/multipart", records, path, compression, { multipart: false, partSize: partSize ?? 5 * 1024 * 1024, parts: 1 }))));
  router.get("/parquet/r2/head", withQuery(ByPath, ({ path: key }) => guarded("GET /parquet/r2/head", async () => {
    const size = await store().size(key);
    return size === null ? fail(404, `GET /parquet/r2/head: nothing at ${key}`) : json({ path: key, size });
  })));
  const Prefix = q.string({ pattern: /^(?:[\w.=-]+\/){0,11}(?:[\w.=-]+)?$/, expected: "an object path or a prefix of one" });
  router.get("/parquet/r2/list", withQuery({ prefix: v.withDefault(Prefix, "") }, ({ prefix }) => guarded("GET /parquet/r2/list", async () => {
    const keys = await store().list(prefix);
    return json({ prefix, count: keys.length, keys: keys.slice(0, MAX_ROWS_OUT) });
  })));
  router.delete("/parquet/r2/delete", withQuery(ByPath, ({ path: key }) => guarded("DELETE /parquet/r2/delete", async () => {
    const s = store();
    writable(key, "DELETE /parquet/r2/delete");
    const existed = (await s.size(key)) !== null;
    await s.delete([key]);
    metas.delete(key);
    return json({ path: key, deleted: existed });
  })));
  router.get("/parquet/r2/stream", withQuery(ByPath, ({ path: key }) => guarded("GET /parquet/r2/stream", async () => {
    const f = await open(key, "GET /parquet/r2/stream");
    return new Response(await f.buf.slice(0, f.buf.byteLength), { headers: { "content-type": "application/vnd.apache.parquet", "content-length": String(f.buf.byteLength) } });
  })));
  // Bytes by offset: start (negative: from the end, as an HTTP suffix range), end exclusive.
  const Offset = q.int({ min: -(2 ** 31), max: 2 ** 31 });
  router.get("/parquet/r2/range", withQuery({ ...ByPath, start: v.optional(Offset), end: v.optional(Offset) }, (query) => guarded("GET /parquet/r2/range", async () => {
    const route = "GET /parquet/r2/range";
    const f = await open(query.path, route);
    const size = f.buf.byteLength;
    const start = query.start ?? 0;
    const end = query.end ?? size;
    if (start < -size || start > size || end > size) return fail(400, `${route}: start is -${size} to ${size}, end at most ${size}`);
    const from = start < 0 ? size + start : start;
    if (end <= from || end - from > 10 * 1024 * 1024) return fail(400, `${route}: the range is empty or larger than 10 MiB`);
    const bytes = await f.buf.slice(from, end);
    return new Response(bytes, { status: 206, headers: { "content-type": "application/octet-stream", "content-range": `bytes ${from}-${end - 1}/${size}` } });
  })));
  router.get("/parquet/r2/footer", withQuery(ByPath, ({ path: key }) => guarded("GET /parquet/r2/footer", async () => {
    const f = await open(key, "GET /parquet/r2/footer");
    const m = f.metadata;
    return json({ path: key, size: f.buf.byteLength, rows: Number(m.num_rows), rowGroups: m.row_groups.length, createdBy: m.created_by ?? null, columns: m.schema.slice(1).map((s) => ({ name: s.name, type: s.type ?? null })), footerBytes: m.metadata_length });
  })));
  router.get("/parquet/r2/rowgroup", withQuery({ ...ByPath, ...GroupQuery }, (query) => guarded("GET /parquet/r2/rowgroup", async () => rowGroup(query.path, query, "GET /parquet/r2/rowgroup"))));
  router.get("/parquet/r2/columns", withQuery({ ...ByPath, columns: v.optional(Columns), limit: v.optional(Limit) }, (query) => guarded("GET /parquet/r2/columns", async () => {
    const route = "GET /parquet/r2/columns";
    const f = await open(query.path, route);
    const names = f.metadata.schema.slice(1).map((s) => s.name);
    const columns = query.columns?.filter(Boolean) ?? [];
    const unknown = columns.find((c) => !names.includes(c));
    if (columns.length === 0 || unknown) return fail(400, `${route}: columns= names some of ${names.slice(0, 20).join(", ")}${unknown ? ` (not ${unknown})` : ""}`);
    const limit = query.limit ?? MAX_ROWS_OUT;
    const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, columns, rowStart: 0, rowEnd: Math.min(limit, Number(f.metadata.num_rows)) })) as Row[];
    return json({ path: query.path, columns, rows, count: rows.length, total: Number(f.metadata.num_rows) });
  })));
}

export const parquet: Feature = {
  name: "parquet",
  serves: ["iceberg"],
  routes: parquetRoutes,
};

import type { IRequest, RouterType } from "itty-router";
import { parquetMetadataAsync, parquetReadObjects, type FileMetaData } from "hyparquet";
import { canSkipRowGroup } from "hyparquet/src/filter.js";
import { parquetWriteBuffer } from "hyparquet-writer";
import { s as v, withBody } from "../body";
import type { Feature, FeatureContext } from "../feature";
import { fail, json } from "../http";
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
const Path = v.string({ pattern: PATH, expected: "an object path (letters, digits, _ . = - and /)" });

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
  const store = (): ObjectStore | Response => ctx.store ?? fail(503, "no R2 bucket is bound (ICEBERG)");
  const metas = new Map<string, FileMetaData>();
  /** The file at `key` (generated first when it is one of GENERATED and absent), with its footer. */
  const open = async (key: string, route: string) => {
    const s = store();
    if (s instanceof Response) return s;
    let buf = await storeBuffer(s, key);
    const gen = GENERATED.find((g) => g.pattern.test(key));
    if (!buf && gen) {
      await s.put(key, writeRecords(generatedRows(gen.rows, gen.wide)));
      metas.delete(key);
      buf = await storeBuffer(s, key);
    }
    if (!buf) return fail(404, `${route}: nothing at ${key}`);
    let metadata = metas.get(key);
    if (!metadata || metas.size > 64) {
      if (metas.size > 64) metas.clear();
      metadata = await parquetMetadataAsync(buf);
      metas.set(key, metadata);
    }
    return { buf, metadata };
  };
  const guarded = (route: string, fn: () => Promise<Response>) => fn().catch((err: unknown) => {
    if (err instanceof R2Error) return fail(502, `${route}: ${err.message}`);
    return fail(422, `${route}: ${(err as Error).message}`);
  });
  const q = (request: IRequest) => new URL(request.url).searchParams;
  const int = (x: string | null, fallback: number, max: number): number | null => {
    if (x === null) return fallback;
    const n = Number(x);
    return Number.isInteger(n) && n >= 0 && n <= max ? n : null;
  };
  const columnsParam = (request: IRequest) => q(request).get("columns")?.split(",").filter(Boolean);
  const groupStart = (m: FileMetaData, g: number) => m.row_groups.slice(0, g).reduce((s, r) => s + Number(r.num_rows), 0);

  // ---- the sample file ----
  router.get("/parquet/read", (request) => guarded("GET /parquet/read", async () => {
    const route = "GET /parquet/read";
    const f = await open(SAMPLE, route);
    if (f instanceof Response) return f;
    const total = Number(f.metadata.num_rows);
    const params = q(request);
    const columns = columnsParam(request);
    const id = params.get("id");
    if (id !== null) {
      const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, filter: { id: { $eq: id } }, columns })) as Row[];
      return rows[0] ? json({ row: rows[0] }) : fail(404, `${route}: no record ${id.slice(0, 80)}`);
    }
    const row = params.get("row");
    const start = row !== null ? int(row, 0, total - 1) : int(params.get("offset"), 0, total);
    const limit = row !== null ? 1 : int(params.get("limit"), 100, MAX_ROWS_OUT);
    if (start === null || limit === null) return fail(400, `${route}: row and offset are 0 to ${total - 1}, limit 0 to ${MAX_ROWS_OUT}`);
    const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, rowStart: start, rowEnd: Math.min(total, start + limit), columns })) as Row[];
    return json(row !== null ? { row: rows[0] ?? null, index: start } : { rows, offset: start, count: rows.length, total });
  }));
  router.get("/parquet/rowgroup", (request) => guarded("GET /parquet/rowgroup", async () => rowGroup(SAMPLE, request, "GET /parquet/rowgroup")));
  const rowGroup = async (key: string, request: IRequest, route: string): Promise<Response> => {
    const f = await open(key, route);
    if (f instanceof Response) return f;
    const groups = f.metadata.row_groups.length;
    const g = int(q(request).get("group"), 0, groups - 1);
    if (g === null) return fail(400, `${route}: group is 0 to ${groups - 1}`);
    const size = Number(f.metadata.row_groups[g]?.num_rows ?? 0);
    const offset = int(q(request).get("offset"), 0, size) ?? 0;
    const limit = int(q(request).get("limit"), MAX_ROWS_OUT, MAX_ROWS_OUT) ?? MAX_ROWS_OUT;
    const start = groupStart(f.metadata, g) + offset;
    const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, rowStart: start, rowEnd: Math.min(start + limit, groupStart(f.metadata, g) + size), columns: columnsParam(request) })) as Row[];
    return json({ path: key, group: g, groups, groupRows: size, offset, rows, count: rows.length });
  };
  // Filters (repeated `filter=`) ANDed; pushdown skips the row groups whose statistics rule them out.
  router.get("/parquet/query", (request) => guarded("GET /parquet/query", async () => {
    const route = "GET /parquet/query";
    const filters = q(request).getAll("filter").map(parseFilter);
    if (filters.length === 0 || filters.some((x) => x === null)) return fail(400, `${route}: give filter=<column>:<value> or filter=<column>:<min>..<max>, one or more`);
    const f = await open(SAMPLE, route);
    if (f instanceof Response) return f;
    const names = f.metadata.schema.slice(1).map((s) => s.name);
    const unknown = filters.find((x) => !names.includes((x as { column: string }).column));
    if (unknown) return fail(400, `${route}: no column ${unknown.column} (${names.join(", ")})`);
    const filter = filters.length === 1 ? (filters[0] as { filter: Row }).filter : { $and: filters.map((x) => (x as { filter: Row }).filter) };
    const pushdown = q(request).get("pushdown") !== "false";
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
  }));
  const Records = v.array(v.record(), { min: 1, max: MAX_RECORDS });
  const Codec = v.optional(v.literal("snappy", "uncompressed", "SNAPPY", "UNCOMPRESSED"));
  const writable = (path: string, route: string): Response | null =>
    WRITABLE.some((p) => path.startsWith(p)) ? null : fail(400, `${route}: ${path.slice(0, 80)} is outside ${WRITABLE.join(" and ")}`);
  const write = async (route: string, records: Row[], path: string, compression?: string, extra: Record<string, unknown> = {}) => {
    const s = store();
    if (s instanceof Response) return s;
    const bad = writable(path, route);
    if (bad) return bad;
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
  const pathOf = (request: IRequest, route: string): string | Response => {
    const p = q(request).get("path");
    return p && PATH.test(p) ? p : fail(400, `${route}: path= must be an object path`);
  };
  router.post("/parquet/r2/write", withBody(v.object({ records: Records, path: Path, compression: Codec }), ({ records, path, compression }) =>
    guarded("POST /parquet/r2/write", () => write("POST /parquet/r2/write", records, path, compression))));
  // The bucket interface here puts an object whole: a multipart request is written in one put, and says so.
  router.post("/parquet/r2/multipart", withBody(v.object({ records: Records, path: Path, partSize: v.optional(v.number({ integer: true, min: 5 * 1024 * 1024, max: 5 * 1024 * 1024 * 1024 })), compression: Codec }), ({ records, path, partSize, compression }) =>
    guarded("POST /parquet/r2/multipart", () => write("POST /parquet/r2/multipart", records, path, compression, { multipart: false, partSize: partSize ?? 5 * 1024 * 1024, parts: 1 }))));
  router.get("/parquet/r2/head", (request) => guarded("GET /parquet/r2/head", async () => {
    const key = pathOf(request, "GET /parquet/r2/head");
    const s = store();
    if (key instanceof Response) return key;
    if (s instanceof Response) return s;
    const size = await s.size(key);
    return size === null ? fail(404, `GET /parquet/r2/head: nothing at ${key}`) : json({ path: key, size });
  }));
  router.get("/parquet/r2/list", (request) => guarded("GET /parquet/r2/list", async () => {
    const prefix = q(request).get("prefix") ?? "";
    const s = store();
    if (s instanceof Response) return s;
    if (prefix && !PATH.test(prefix.replace(/\/$/, ""))) return fail(400, "GET /parquet/r2/list: prefix must be an object path");
    const keys = await s.list(prefix);
    return json({ prefix, count: keys.length, keys: keys.slice(0, MAX_ROWS_OUT) });
  }));
  router.delete("/parquet/r2/delete", (request) => guarded("DELETE /parquet/r2/delete", async () => {
    const route = "DELETE /parquet/r2/delete";
    const key = pathOf(request, route);
    const s = store();
    if (key instanceof Response) return key;
    if (s instanceof Response) return s;
    const bad = writable(key, route);
    if (bad) return bad;
    const existed = (await s.size(key)) !== null;
    await s.delete([key]);
    metas.delete(key);
    return json({ path: key, deleted: existed });
  }));
  router.get("/parquet/r2/stream", (request) => guarded("GET /parquet/r2/stream", async () => {
    const route = "GET /parquet/r2/stream";
    const key = pathOf(request, route);
    if (key instanceof Response) return key;
    const f = await open(key, route);
    if (f instanceof Response) return f;
    return new Response(await f.buf.slice(0, f.buf.byteLength), { headers: { "content-type": "application/vnd.apache.parquet", "content-length": String(f.buf.byteLength) } });
  }));
  // Bytes by offset: start (negative: from the end, as an HTTP suffix range), end exclusive.
  router.get("/parquet/r2/range", (request) => guarded("GET /parquet/r2/range", async () => {
    const route = "GET /parquet/r2/range";
    const key = pathOf(request, route);
    if (key instanceof Response) return key;
    const f = await open(key, route);
    if (f instanceof Response) return f;
    const size = f.buf.byteLength;
    const start = Number(q(request).get("start") ?? 0);
    const end = Number(q(request).get("end") ?? size);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < -size || start > size || end > size) return fail(400, `${route}: start is -${size} to ${size}, end at most ${size}`);
    const from = start < 0 ? size + start : start;
    if (end <= from || end - from > 10 * 1024 * 1024) return fail(400, `${route}: the range is empty or larger than 10 MiB`);
    const bytes = await f.buf.slice(from, end);
    return new Response(bytes, { status: 206, headers: { "content-type": "application/octet-stream", "content-range": `bytes ${from}-${end - 1}/${size}` } });
  }));
  router.get("/parquet/r2/footer", (request) => guarded("GET /parquet/r2/footer", async () => {
    const route = "GET /parquet/r2/footer";
    const key = pathOf(request, route);
    if (key instanceof Response) return key;
    const f = await open(key, route);
    if (f instanceof Response) return f;
    const m = f.metadata;
    return json({ path: key, size: f.buf.byteLength, rows: Number(m.num_rows), rowGroups: m.row_groups.length, createdBy: m.created_by ?? null, columns: m.schema.slice(1).map((s) => ({ name: s.name, type: s.type ?? null })), footerBytes: m.metadata_length });
  }));
  router.get("/parquet/r2/rowgroup", (request) => guarded("GET /parquet/r2/rowgroup", async () => {
    const key = pathOf(request, "GET /parquet/r2/rowgroup");
    return key instanceof Response ? key : rowGroup(key, request, "GET /parquet/r2/rowgroup");
  }));
  router.get("/parquet/r2/columns", (request) => guarded("GET /parquet/r2/columns", async () => {
    const route = "GET /parquet/r2/columns";
    const key = pathOf(request, route);
    if (key instanceof Response) return key;
    const f = await open(key, route);
    if (f instanceof Response) return f;
    const names = f.metadata.schema.slice(1).map((s) => s.name);
    const columns = columnsParam(request) ?? [];
    const unknown = columns.find((c) => !names.includes(c));
    if (columns.length === 0 || unknown) return fail(400, `${route}: columns= names some of ${names.slice(0, 20).join(", ")}${unknown ? ` (not ${unknown})` : ""}`);
    const limit = int(q(request).get("limit"), MAX_ROWS_OUT, MAX_ROWS_OUT) ?? MAX_ROWS_OUT;
    const rows = (await parquetReadObjects({ file: f.buf, metadata: f.metadata, columns, rowStart: 0, rowEnd: Math.min(limit, Number(f.metadata.num_rows)) })) as Row[];
    return json({ path: key, columns, rows, count: rows.length, total: Number(f.metadata.num_rows) });
  }));
}

export const parquet: Feature = {
  name: "parquet",
  serves: ["iceberg"],
  routes: parquetRoutes,
};

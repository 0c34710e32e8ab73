import type { RouterType } from "itty-router";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { s as v, withBody } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, HttpError, isObject, json, refuse } from "../http";
import { Bloom, filterBytes, ngrams } from "../iceberg/bloom";
import { fromBase64, keyOfLocation, Location, toBase64 } from "../iceberg/index-store";
import { readPuffinFooter, writePuffin, type PuffinBlob } from "../iceberg/puffin";
import { R2Error, storeBuffer } from "../iceberg/store";
import { keyOf } from "../iceberg/table";

// Planning a scan before reading it (contract §10), on iceberg.: pruning decisions from partition
// summaries, and Puffin statistics files of a data file's columns.
//
// Pruning follows Iceberg's manifest evaluator: a manifest (or file) is skipped only when its
// summary (each partition field's lower and upper bound, and whether it holds nulls) proves no row
// can match. `eq` and `in` need a value within the bounds; ranges need to overlap them; `not` (≠)
// never prunes, as in Iceberg, since bounds need not be values a file holds. Bounds compare as
// numbers when both are numbers, else as strings (ISO dates and times order correctly as strings).
//
// Puffin files (../iceberg/puffin.ts) carry a bloom filter of a column (`bloom-filter-v1`, Parquet's
// split block filter bytes), of its n-grams (`ngram-bloom-filter-v1`), and its distinct values when
// they are few (`set-index-v1`, sorted JSON); column statistics (count, nulls, distinct, min, max) go
// into the footer's properties. A data file is read from the bucket with hyparquet.

type Scalar = string | number;
const SCALAR = v.union(v.string(), v.number(), "a string or a number");
const MAX_ROWS = 200_000;
const MAX_SET = 1_000;

const cmp = (a: Scalar, b: Scalar): number => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

interface Summary { lower?: Scalar | null; upper?: Scalar | null; containsNull?: boolean }
type Predicate = { eq?: Scalar; not?: Scalar; ne?: Scalar; in?: Scalar[]; gt?: Scalar; gte?: Scalar; lt?: Scalar; lte?: Scalar };

/** Why a summary rules a condition out, or null when rows might match. */
export function rulesOut(field: string, cond: Scalar | Predicate | null, s: Summary | undefined): string | null {
  if (!s || s.lower === undefined || s.lower === null || s.upper === undefined || s.upper === null) return cond === null && s && s.containsNull === false ? `${field} holds no nulls` : null;
  if (cond === null) return s.containsNull === false ? `${field} holds no nulls` : null;
  const p: Predicate = typeof cond === "object" ? cond : { eq: cond };
  const { lower, upper } = s as { lower: Scalar; upper: Scalar };
  const outside = (x: Scalar) => cmp(x, lower) < 0 || cmp(x, upper) > 0;
  if (p.eq !== undefined && outside(p.eq)) return `${field} = ${p.eq} is outside [${lower}, ${upper}]`;
  if (p.in !== undefined && p.in.every(outside)) return `${field} IN (${p.in.join(", ")}): every value is outside [${lower}, ${upper}]`;
  if (p.gt !== undefined && cmp(upper, p.gt) <= 0) return `${field} > ${p.gt}, but its upper bound is ${upper}`;
  if (p.gte !== undefined && cmp(upper, p.gte) < 0) return `${field} >= ${p.gte}, but its upper bound is ${upper}`;
  if (p.lt !== undefined && cmp(lower, p.lt) >= 0) return `${field} < ${p.lt}, but its lower bound is ${lower}`;
  if (p.lte !== undefined && cmp(lower, p.lte) > 0) return `${field} <= ${p.lte}, but its lower bound is ${lower}`;
  return null;
}

/** Every reason the filter's conditions are ruled out by the summaries (empty: rows might match). */
export function evaluate(filter: Record<string, unknown>, summary: Record<string, unknown>): string[] {
  return Object.entries(filter).flatMap(([field, cond]) => {
    const why = rulesOut(field, cond as Scalar | Predicate | null, isObject(summary[field]) ? (summary[field] as Summary) : undefined);
    return why ? [why] : [];
  });
}

const Predicate = v.parsed<Scalar | Predicate | null>("a value, null, or {eq|ne|not|in|gt|gte|lt|lte}", (x) => {
  if (x === null || typeof x === "string" || (typeof x === "number" && Number.isFinite(x))) return x as Scalar | null;
  if (!isObject(x)) return null;
  const keys = Object.keys(x);
  const ok = keys.length > 0 && keys.every((k) => ["eq", "ne", "not", "in", "gt", "gte", "lt", "lte"].includes(k)) &&
    keys.every((k) => (k === "in" ? Array.isArray(x.in) && x.in.length <= 1000 && x.in.every((y) => typeof y === "string" || typeof y === "number") : typeof x[k] === "string" || typeof x[k] === "number"));
  return ok ? (x as Predicate) : null;
});
const Filter = v.parsed<Record<string, Scalar | Predicate | null>>("an object of field conditions (at most 32)", (x) => {
  if (!isObject(x) || Object.keys(x).length > 32) return null;
  const issues: string[] = [];
  for (const val of Object.values(x)) Predicate.check(val, "", issues);
  return issues.length ? null : (x as Record<string, Scalar | Predicate | null>);
});
const SummaryMap = v.parsed<Record<string, Summary>>("an object of {lower, upper, containsNull?} by field", (x) =>
  isObject(x) && Object.values(x).every((s) => isObject(s)) ? (x as Record<string, Summary>) : null);
const FieldSummary = v.object({ containsNull: v.optional(v.boolean()), lowerBound: v.optional(v.union(v.string(), v.number(), "a bound")), upperBound: v.optional(v.union(v.string(), v.number(), "a bound")), type: v.optional(v.literal("string", "int", "long", "float", "double", "boolean", "binary")) });

/** A bound in Iceberg's single-value binary form (base64) read as its type: strings UTF-8, numbers little-endian. */
export function decodeBound(b64: string, type = "string"): Scalar | null {
  const bytes = fromBase64(b64);
  if (!bytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === "int" && bytes.length === 4) return view.getInt32(0, true);
  if (type === "long" && bytes.length === 8) return Number(view.getBigInt64(0, true));
  if (type === "float" && bytes.length === 4) return view.getFloat32(0, true);
  if (type === "double" && bytes.length === 8) return view.getFloat64(0, true);
  if (type === "boolean" && bytes.length === 1) return bytes[0] ? 1 : 0;
  if (type === "binary") return b64;
  return type === "string" ? new TextDecoder().decode(bytes) : null;
}

interface ColumnStats { name: string; fieldId: number; count: number; nulls: number; distinct: number; min: Scalar | null; max: Scalar | null }

function columnStats(name: string, fieldId: number, values: unknown[]): { stats: ColumnStats; distinct: Set<string> } {
  const distinct = new Set<string>();
  let nulls = 0;
  let min: Scalar | null = null;
  let max: Scalar | null = null;
  for (const raw of values) {
    if (raw === null || raw === undefined) {
      nulls++;
      continue;
    }
    const x: Scalar = typeof raw === "number" ? raw : typeof raw === "bigint" ? Number(raw) : String(raw);
    distinct.add(String(x));
    if (min === null || cmp(x, min) < 0) min = x;
    if (max === null || cmp(x, max) > 0) max = x;
  }
  return { stats: { name, fieldId, count: values.length, nulls, distinct: distinct.size, min, max }, distinct };
}

function planningRoutes(router: RouterType, ctx: FeatureContext): void {
  // ---- pruning ----
  const Decide = v.object({ filter: Filter, partitionSummary: SummaryMap });
  const decide = (route: string) => withBody(Decide, ({ filter, partitionSummary }) => {
    const reasons = evaluate(filter, partitionSummary);
    return json({ route, decision: reasons.length ? "exclude" : "include", matches: reasons.length === 0, reasons });
  });
  router.post("/iceberg/pruning/decide", decide("decide"));
  router.post("/iceberg/pruning/evaluate-range", decide("evaluate-range"));
  router.post("/iceberg/pruning/evaluate-in", decide("evaluate-in"));
  router.post("/iceberg/pruning/evaluate-not", decide("evaluate-not"));
  router.post("/iceberg/pruning/eliminate-manifests", withBody(v.object({ filter: Filter, manifests: v.array(v.record(), { min: 1, max: 10_000 }) }), ({ filter, manifests }) => {
    const kept: string[] = [];
    const pruned: Array<{ path: string; reasons: string[] }> = [];
    manifests.forEach((m, i) => {
      const path = typeof m.path === "string" ? m.path : `manifest-${i}`;
      const reasons = evaluate(filter, isObject(m.partitions) ? m.partitions : m);
      if (reasons.length) pruned.push({ path, reasons });
      else kept.push(path);
    });
    return json({ totalManifests: manifests.length, remainingManifests: kept.length, prunedManifests: pruned.length, pruningRatio: pruned.length / manifests.length, kept, pruned });
  }));
  // Marks: the partition field summaries of a manifest list entry, bounds decoded.
  router.post("/iceberg/pruning/extract-marks", withBody(v.object({ partitions: v.array(FieldSummary, { min: 1, max: 1000 }) }), ({ partitions }) =>
    json({ fields: partitions.length, marks: partitions.map((p) => ({ containsNull: p.containsNull ?? false, lower: p.lowerBound ?? null, upper: p.upperBound ?? null })) })));
  router.post("/iceberg/pruning/extract-binary-marks", withBody(v.object({ partitions: v.array(FieldSummary, { min: 1, max: 1000 }), encodedBounds: v.optional(v.boolean()) }), ({ partitions }) => {
    const marks = partitions.map((p) => ({
      containsNull: p.containsNull ?? false,
      lower: typeof p.lowerBound === "string" ? decodeBound(p.lowerBound, p.type) : null,
      upper: typeof p.upperBound === "string" ? decodeBound(p.upperBound, p.type) : null,
    }));
    const bad = marks.findIndex((m, i) => (partitions[i]?.lowerBound !== undefined && m.lower === null) || (partitions[i]?.upperBound !== undefined && m.upper === null));
    return bad >= 0 ? fail(400, `POST /iceberg/pruning/extract-binary-marks: partitions[${bad}]'s bounds are not base64 of its type (${partitions[bad]?.type ?? "string"})`) : json({ fields: marks.length, marks });
  }));
  // A generated layout, said so in the answer: manifest 0 holds the filter's own values, every other
  // manifest one other value per field (identity partitions); the answer is how many the filter prunes.
  router.post("/iceberg/pruning/benchmark-effectiveness", withBody(v.object({ filter: Filter, manifestCount: v.number({ integer: true, min: 1, max: 10_000 }), avgFilesPerManifest: v.optional(v.number({ integer: true, min: 1, max: 10_000 })) }), ({ filter, manifestCount, avgFilesPerManifest }) => {
    const started = performance.now();
    let pruned = 0;
    for (let i = 0; i < manifestCount; i++) {
      const summary = Object.fromEntries(Object.entries(filter).map(([f, c]) => {
        const own = c !== null && typeof c === "object" ? (c.eq ?? c.in?.[0] ?? c.gte ?? c.gt ?? c.lte ?? c.lt ?? c.not ?? c.ne ?? "") : c ?? "";
        const val = i === 0 ? own : typeof own === "number" ? own + i * 1_000_000 : `${own}~${i}`;
        return [f, { lower: val, upper: val, containsNull: false }];
      }));
      if (evaluate(filter, summary).length) pruned++;
    }
    const files = avgFilesPerManifest ?? 1;
    return json({ generated: true, layout: "manifest 0 holds the filter's values; each other manifest one other value per field", totalManifests: manifestCount, prunedManifests: pruned, remainingManifests: manifestCount - pruned, pruningRatio: pruned / manifestCount, filesSkipped: pruned * files, filesRemaining: (manifestCount - pruned) * files, evaluateMs: performance.now() - started });
  }));

  // ---- Puffin ----
  const DataFile = v.string({ max: 512, pattern: /^(?:r2:\/\/)?(?:[\w.=-]+\/){0,10}[\w.=-]+\.parquet$/, expected: "a Parquet object in the bucket (…/data/….parquet)" });
  const dataKey = (file: string) => keyOf(file).replace(/^r2:\/\//, "");
  /** A data file's columns as values, read from the bucket; 404 when there is none. */
  const readColumns = async (file: string, route: string): Promise<{ rows: number; columns: Record<string, unknown[]>; names: string[] }> => {
    if (!ctx.store) return refuse(503, "no R2 bucket is bound (ICEBERG)");
    let buf: Awaited<ReturnType<typeof storeBuffer>>;
    try {
      buf = await storeBuffer(ctx.store, dataKey(file));
    } catch (err) {
      return refuse(err instanceof R2Error ? 502 : 422, `${route}: ${(err as Error).message}`);
    }
    if (!buf) return refuse(404, `${route}: no data file ${dataKey(file)} in the bucket`);
    try {
      const metadata = await parquetMetadataAsync(buf);
      if (Number(metadata.num_rows) > MAX_ROWS) return refuse(413, `${route}: ${file} has ${metadata.num_rows} rows; at most ${MAX_ROWS}`);
      const rows = (await parquetReadObjects({ file: buf, metadata })) as Array<Record<string, unknown>>;
      const names = metadata.schema.slice(1).map((s) => s.name);
      return { rows: rows.length, names, columns: Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n])])) };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      return refuse(422, `${route}: ${file} is not a readable Parquet file: ${(err as Error).message}`);
    }
  };
  /** A column by name or by Iceberg field id (1-based, in schema order). */
  const columnOf = (names: string[], ref: string | number): { name: string; fieldId: number } | null => {
    const i = typeof ref === "number" ? ref - 1 : names.indexOf(ref);
    return i >= 0 && i < names.length ? { name: names[i] as string, fieldId: i + 1 } : null;
  };
  router.post("/iceberg/puffin/column-stats", withBody(v.object({ dataFile: DataFile, columnId: v.number({ integer: true, min: 1, max: 10_000 }), columnType: v.optional(v.string()) }), async ({ dataFile, columnId }) => {
    const data = await readColumns(dataFile, "POST /iceberg/puffin/column-stats");
    const c = columnOf(data.names, columnId);
    return c ? json({ dataFile, ...columnStats(c.name, c.fieldId, data.columns[c.name] ?? []).stats }) : fail(404, `POST /iceberg/puffin/column-stats: ${dataFile} has no field ${columnId} (fields 1-${data.names.length})`);
  }));
  router.post("/iceberg/puffin/bloom-stats", withBody(v.object({ columnId: v.number({ integer: true, min: 1 }), expectedElements: v.number({ integer: true, min: 1, max: 10_000_000 }), falsePositiveRate: v.optional(v.number({ min: 1e-6, max: 0.5 })) }), ({ columnId, expectedElements, falsePositiveRate }) => {
    const bytes = filterBytes(expectedElements, falsePositiveRate ?? 0.01);
    return json({ columnId, type: "bloom-filter-v1", expectedElements, falsePositiveRate: falsePositiveRate ?? 0.01, sizeBytes: bytes, blocks: bytes / 32, bitsPerElement: (bytes * 8) / expectedElements });
  }));
  router.post("/iceberg/puffin/ngram-stats", withBody(v.object({ columnId: v.number({ integer: true, min: 1 }), expectedElements: v.number({ integer: true, min: 1, max: 10_000_000 }), ngramSize: v.optional(v.number({ integer: true, min: 2, max: 8 })), falsePositiveRate: v.optional(v.number({ min: 1e-6, max: 0.5 })) }), ({ columnId, expectedElements, ngramSize, falsePositiveRate }) => {
    // expectedElements counts distinct n-grams, the values an n-gram filter holds.
    const bytes = filterBytes(expectedElements, falsePositiveRate ?? 0.01);
    return json({ columnId, type: "ngram-bloom-filter-v1", ngramSize: ngramSize ?? 3, expectedNgrams: expectedElements, sizeBytes: bytes, bitsPerNgram: (bytes * 8) / expectedElements });
  }));
  router.post("/iceberg/puffin/set-index", withBody(v.object({ columnId: v.number({ integer: true, min: 1 }), values: v.array(SCALAR, { min: 1, max: MAX_SET * 10 }) }), ({ columnId, values }) => {
    const distinct = [...new Set(values.map(String))].sort();
    if (distinct.length > MAX_SET) return fail(400, `POST /iceberg/puffin/set-index: ${distinct.length} distinct values; a set index holds at most ${MAX_SET} (use a bloom filter)`);
    const data = new TextEncoder().encode(JSON.stringify(distinct));
    return json({ columnId, type: "set-index-v1", distinct: distinct.length, sizeBytes: data.length, values: distinct });
  }));
  const BlobSpec = v.object({ type: v.string({ pattern: /^[\w.-]{1,64}$/, expected: "a blob type" }), fieldId: v.number({ integer: true, min: 1 }), data: v.optional(v.string()), properties: v.optional(v.record()) });
  router.post("/iceberg/puffin/serialize", withBody(v.object({ snapshotId: v.number({ integer: true }), sequenceNumber: v.number({ integer: true, min: 0 }), blobs: v.array(BlobSpec, { min: 1, max: 100 }), destination: v.optional(Location) }), async ({ snapshotId, sequenceNumber, blobs, destination }) => {
    const route = "POST /iceberg/puffin/serialize";
    const parts: PuffinBlob[] = [];
    for (const [i, b] of blobs.entries()) {
      const data = b.data === undefined ? new Uint8Array(0) : fromBase64(b.data);
      if (!data) return fail(400, `${route}: blobs[${i}].data is not base64`);
      parts.push({ type: b.type, fields: [b.fieldId], snapshotId, sequenceNumber, data, properties: b.properties as Record<string, string> | undefined });
    }
    const { bytes, footer } = writePuffin(parts, { "created-by": "perfdo reference Worker" });
    if (destination) {
      const key = keyOfLocation(destination, route);
      if (!ctx.store) return fail(503, "no R2 bucket is bound (ICEBERG)");
      await ctx.store.put(key, bytes);
    }
    return json({ format: "puffin", bytes: bytes.length, footer, data: destination ? undefined : toBase64(bytes), destination }, destination ? 201 : 200);
  }));
  // A data file's statistics file: the blobs each column asks for, written to r2://indexes/puffin/….
  const Col = v.object({ id: v.optional(v.number({ integer: true, min: 1 })), name: v.optional(v.string()), type: v.optional(v.string()), bloom: v.optional(v.boolean()), ngram: v.optional(v.boolean()), setIndex: v.optional(v.boolean()) });
  const puffinFor = async (route: string, dataFile: string, cols: Array<{ id?: number; name?: string; bloom?: boolean; ngram?: boolean; setIndex?: boolean }>): Promise<Response> => {
    const data = await readColumns(dataFile, route);
    const blobs: PuffinBlob[] = [];
    const stats: ColumnStats[] = [];
    for (const c of cols) {
      const col = columnOf(data.names, c.name ?? c.id ?? "");
      if (!col) return fail(404, `${route}: ${dataFile} has no column ${c.name ?? c.id} (${data.names.join(", ")})`);
      const { stats: s, distinct } = columnStats(col.name, col.fieldId, data.columns[col.name] ?? []);
      stats.push(s);
      const blob = (type: string, bytes: Uint8Array, properties: Record<string, string>) => blobs.push({ type, fields: [col.fieldId], snapshotId: -1, sequenceNumber: -1, data: bytes, properties });
      const wantsBloom = c.bloom ?? !(c.ngram || c.setIndex);
      if (wantsBloom) {
        const b = Bloom.sized(distinct.size, 0.01);
        for (const x of distinct) b.add(x);
        blob("bloom-filter-v1", b.serialize(), { ndv: String(distinct.size), fpp: "0.01" });
      }
      if (c.ngram) {
        const grams = new Set([...distinct].flatMap((x) => ngrams(x, 3)));
        const b = Bloom.sized(grams.size, 0.01);
        for (const g of grams) b.add(g);
        blob("ngram-bloom-filter-v1", b.serialize(), { "ngram-size": "3", ngrams: String(grams.size) });
      }
      if (c.setIndex && distinct.size <= MAX_SET) blob("set-index-v1", new TextEncoder().encode(JSON.stringify([...distinct].sort())), { distinct: String(distinct.size) });
    }
    const { bytes, footer } = writePuffin(blobs, { "created-by": "perfdo reference Worker", "data-file": dataKey(dataFile), stats: JSON.stringify(stats) });
    const key = `indexes/puffin/${dataKey(dataFile).replace(/\.parquet$/, "")}.puffin`;
    await ctx.store?.put(key, bytes);
    return json({ dataFile, rows: data.rows, puffin: `r2://${key}`, bytes: bytes.length, blobs: footer.blobs, columns: stats }, 201);
  };
  router.post("/iceberg/puffin/generate", withBody(v.object({ dataFile: DataFile, columns: v.array(v.string({ min: 1 }), { min: 1, max: 64 }) }), ({ dataFile, columns }) =>
    puffinFor("POST /iceberg/puffin/generate", dataFile, columns.map((name) => ({ name, bloom: true })))));
  router.post("/iceberg/puffin/workflow", withBody(v.object({ dataFile: DataFile, columns: v.array(Col, { min: 1, max: 64 }) }), ({ dataFile, columns }) =>
    puffinFor("POST /iceberg/puffin/workflow", dataFile, columns)));
  router.post("/iceberg/puffin/read", withBody(v.object({ source: Location }), async ({ source }) => {
    const route = "POST /iceberg/puffin/read";
    const key = keyOfLocation(source, route);
    const buf = await ctx.store?.get(key);
    if (!buf) return fail(404, `${route}: nothing at ${source}`);
    const footer = readPuffinFooter(new Uint8Array(buf));
    return typeof footer === "string" ? fail(422, `${route}: ${source}: ${footer}`) : json({ source, bytes: buf.byteLength, ...footer });
  }));
}

export const icebergPlanning: Feature = {
  name: "iceberg-planning",
  serves: ["iceberg"],
  routes: planningRoutes,
};

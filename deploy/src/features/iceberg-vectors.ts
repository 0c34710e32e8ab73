import type { RouterType } from "itty-router";
import { s as v, withBody, type Infer } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, json, refuse } from "../http";
import { IndexName, keyOfLocation, Location, NO_BUCKET, readJsonLocation, readLocation } from "../iceberg/index-store";
import { first } from "../sql";
import { exact } from "./vector";

// Vector indexes beside Iceberg tables (contract §10), on iceberg.: named indexes of vectors of any
// dimension up to MAX_DIMS, float32 or int8-quantized (one scale per vector: 4x less memory, the
// quantization error reported by nothing but recall), searched exactly. They are flat indexes, not
// HNSW graphs: `M` and `efConstruction` are accepted and echoed, and every search compares the query
// with every vector, so its recall is 1 and its cost grows with the index (MAX_INDEX_VECTORS bounds
// it). `persist` writes an index to the bucket in chunks of at most `chunkSize` bytes; `load` reads it
// back; `search-streaming` searches a persisted index chunk by chunk, keeping only the top k.

const MAX_DIMS = 4096;
const MAX_BATCH = 5_000;
const MAX_INDEX_VECTORS = 20_000;
const METRICS = ["cosine", "euclidean", "dot"] as const;
type Metric = (typeof METRICS)[number];
const FORMAT = "perfdo-vectors-v1";

function migrateVectors(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS iv_indexes (name TEXT PRIMARY KEY, dims INTEGER NOT NULL, metric TEXT NOT NULL, quantization TEXT NOT NULL, params TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS iv_vectors (name TEXT NOT NULL, id TEXT NOT NULL, scale REAL, vec BLOB NOT NULL, PRIMARY KEY (name, id)) WITHOUT ROWID");
}

const Numbers = v.array(v.number(), { min: 1, max: MAX_DIMS });
const VectorId = v.string({ min: 1, pattern: /^.{1,512}$/s, expected: "an id of 1-512 characters" });
const Item = v.object({ id: VectorId, vector: Numbers });
const K = v.optional(v.number({ integer: true, min: 1, max: 1000 }));

/** A vector as stored: float32, or int8 with the scale that maps 127 back to its largest magnitude. */
export function encode(vector: number[], quantization: string): { scale: number | null; bytes: Uint8Array } {
  if (quantization !== "int8") return { scale: null, bytes: new Uint8Array(Float32Array.from(vector).buffer) };
  const scale = Math.max(...vector.map(Math.abs)) / 127 || 1;
  return { scale, bytes: new Uint8Array(Int8Array.from(vector, (x) => Math.round(x / scale)).buffer) };
}

export function decode(scale: number | null, bytes: Uint8Array): Float32Array {
  if (scale === null) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from(q, (x) => x * scale);
}

/** Keeps the k best (lowest distance) of a stream of scored ids. */
class TopK {
  readonly items: Array<{ id: string; score: number; distance: number }> = [];
  constructor(private readonly k: number) {}
  offer(id: string, s: { score: number; distance: number }): void {
    if (this.items.length === this.k && s.distance >= (this.items[this.k - 1] as { distance: number }).distance) return;
    let i = this.items.length;
    while (i > 0 && (this.items[i - 1] as { distance: number }).distance > s.distance) i--;
    this.items.splice(i, 0, { id, ...s });
    if (this.items.length > this.k) this.items.pop();
  }
}

// The persisted form: a header object (JSON) naming chunk objects; each chunk holds records of
// [u16 id length][id UTF-8][f32 scale, int8 only][dims × f32 or i8], little-endian.
function packRecord(id: string, scale: number | null, bytes: Uint8Array): Uint8Array {
  const idBytes = new TextEncoder().encode(id);
  const out = new Uint8Array(2 + idBytes.length + (scale === null ? 0 : 4) + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, idBytes.length, true);
  out.set(idBytes, 2);
  let at = 2 + idBytes.length;
  if (scale !== null) view.setFloat32((at += 4) - 4, scale, true);
  out.set(bytes, at);
  return out;
}

function* unpack(chunk: Uint8Array, dims: number, int8: boolean): Generator<{ id: string; scale: number | null; bytes: Uint8Array }> {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const width = int8 ? dims : dims * 4;
  let at = 0;
  while (at + 2 <= chunk.length) {
    const n = view.getUint16(at, true);
    const id = new TextDecoder().decode(chunk.subarray(at + 2, at + 2 + n));
    at += 2 + n;
    const scale = int8 ? view.getFloat32(at, true) : null;
    if (int8) at += 4;
    yield { id, scale, bytes: chunk.slice(at, at + width) };
    at += width;
  }
}

interface Header { format: string; dimensions: number; metric: Metric; quantization: string; count: number; chunks: Array<{ key: string; count: number; bytes: number }> }

function vectorRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  const meta = (name: string) => first<{ dims: number; metric: Metric; quantization: string; params: string }>(sql, "SELECT dims, metric, quantization, params FROM iv_indexes WHERE name = ?", name);
  const count = (name: string) => first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM iv_vectors WHERE name = ?", name)?.n ?? 0;
  const put = (name: string, dims: number, quantization: string, items: Array<Infer<typeof Item>>, route: string): number => {
    const wrong = items.find((i) => i.vector.length !== dims);
    if (wrong) return refuse(400, `${route}: vector ${wrong.id.slice(0, 40)} has ${wrong.vector.length} dimensions; index ${name} has ${dims}`);
    const have = count(name);
    if (have + items.length > MAX_INDEX_VECTORS) return refuse(413, `${route}: index ${name} would hold more than ${MAX_INDEX_VECTORS} vectors (has ${have})`);
    transaction(() => {
      for (const i of items) {
        const { scale, bytes } = encode(i.vector, quantization);
        sql.exec("INSERT OR REPLACE INTO iv_vectors (name, id, scale, vec) VALUES (?, ?, ?, ?)", name, i.id, scale, bytes);
      }
    });
    return count(name);
  };
  const describe = (name: string) => {
    const m = meta(name);
    const n = count(name);
    return m && { namespace: name, dimensions: m.dims, metric: m.metric, quantization: m.quantization, vectors: n, memoryBytes: n * m.dims * (m.quantization === "int8" ? 1 : 4), index: "flat", ...(JSON.parse(m.params) as object) };
  };

  router.post("/iceberg/vector/build", withBody(v.object({
    vectors: v.array(Item, { min: 1, max: MAX_BATCH }),
    dimensions: v.optional(v.number({ integer: true, min: 1, max: MAX_DIMS })),
    metric: v.optional(v.literal(...METRICS)),
    quantization: v.optional(v.literal("none", "float32", "int8")),
    M: v.optional(v.number({ integer: true, min: 2, max: 128 })),
    efConstruction: v.optional(v.number({ integer: true, min: 1, max: 4096 })),
    namespace: IndexName,
  }), ({ vectors, dimensions, metric, quantization, M, efConstruction, namespace }) => {
    const dims = dimensions ?? (vectors[0] as { vector: number[] }).vector.length;
    const q = quantization === "int8" ? "int8" : "float32";
    sql.exec("DELETE FROM iv_vectors WHERE name = ?", namespace);
    sql.exec("INSERT OR REPLACE INTO iv_indexes (name, dims, metric, quantization, params) VALUES (?, ?, ?, ?, ?)", namespace, dims, metric ?? "cosine", q, JSON.stringify({ M: M ?? null, efConstruction: efConstruction ?? null }));
    const r = put(namespace, dims, q, vectors, "POST /iceberg/vector/build");
    return json(describe(namespace), 201);
  }));
  const adding = (route: string) => (namespace: string, items: Array<Infer<typeof Item>>) => {
    const m = meta(namespace);
    if (!m) return fail(404, `${route}: no vector index ${namespace} (build it first)`);
    const r = put(namespace, m.dims, m.quantization, items, route);
    return json({ namespace, added: items.length, vectors: r }, 201);
  };
  const addOne = adding("POST /iceberg/vector/add");
  const addMany = adding("POST /iceberg/vector/add-batch");
  router.post("/iceberg/vector/add", withBody(v.object({ namespace: IndexName, id: VectorId, vector: Numbers }), ({ namespace, id, vector }) => addOne(namespace, [{ id, vector }])));
  router.post("/iceberg/vector/add-batch", withBody(v.object({ namespace: IndexName, vectors: v.array(Item, { min: 1, max: MAX_BATCH }) }), ({ namespace, vectors }) => addMany(namespace, vectors)));
  router.post("/iceberg/vector/search", withBody(v.object({ namespace: IndexName, vector: Numbers, k: K }), ({ namespace, vector, k }) => {
    const m = meta(namespace);
    if (!m) return fail(404, `POST /iceberg/vector/search: no vector index ${namespace}`);
    if (vector.length !== m.dims) return fail(400, `POST /iceberg/vector/search: the query has ${vector.length} dimensions; index ${namespace} has ${m.dims}`);
    const query = Float32Array.from(vector);
    const top = new TopK(k ?? 10);
    let searched = 0;
    for (const row of sql.exec<{ id: string; scale: number | null; vec: ArrayBuffer }>("SELECT id, scale, vec FROM iv_vectors WHERE name = ?", namespace)) {
      top.offer(row.id, exact(query, decode(row.scale, new Uint8Array(row.vec)), m.metric));
      searched++;
    }
    return json({ namespace, k: k ?? 10, metric: m.metric, searched, exact: true, results: top.items });
  }));
  router.post("/iceberg/vector/persist", withBody(v.object({ namespace: IndexName, destination: Location, chunkSize: v.optional(v.number({ integer: true, min: 4096, max: 64 * 1024 * 1024 })) }), async ({ namespace, destination, chunkSize }) => {
    const route = "POST /iceberg/vector/persist";
    const m = meta(namespace);
    if (!m) return fail(404, `${route}: no vector index ${namespace}`);
    const key = keyOfLocation(destination, route);
    if (!ctx.store) return fail(503, NO_BUCKET);
    const limit = chunkSize ?? 10 * 1024 * 1024;
    const header: Header = { format: FORMAT, dimensions: m.dims, metric: m.metric, quantization: m.quantization, count: 0, chunks: [] };
    let parts: Uint8Array[] = [];
    let size = 0;
    let inChunk = 0;
    const flush = async () => {
      if (inChunk === 0) return;
      const data = new Uint8Array(size);
      let at = 0;
      for (const p of parts) data.set(p, (at += p.length) - p.length);
      const chunkKey = `${key}.${header.chunks.length}`;
      await ctx.store?.put(chunkKey, data);
      header.chunks.push({ key: chunkKey, count: inChunk, bytes: size });
      parts = [];
      size = 0;
      inChunk = 0;
    };
    for (const row of sql.exec<{ id: string; scale: number | null; vec: ArrayBuffer }>("SELECT id, scale, vec FROM iv_vectors WHERE name = ? ORDER BY id", namespace).toArray()) {
      const rec = packRecord(row.id, row.scale, new Uint8Array(row.vec));
      if (size + rec.length > limit) await flush();
      parts.push(rec);
      size += rec.length;
      inChunk++;
      header.count++;
    }
    await flush();
    await ctx.store.put(key, JSON.stringify(header));
    return json({ namespace, destination, vectors: header.count, chunks: header.chunks.length, bytes: header.chunks.reduce((s, c) => s + c.bytes, 0) }, 201);
  }));
  const headerAt = async (source: string, route: string): Promise<{ header: Header }> => {
    const read = await readJsonLocation(ctx.store, source, route);
    const header = (read ?? {}) as Header;
    return header.format === FORMAT && Array.isArray(header.chunks) ? { header } : refuse(400, `${route}: ${source} is not a persisted vector index`);
  };
  const chunks = async function* (header: Header, route: string): AsyncGenerator<Uint8Array> {
    for (const c of header.chunks) yield await readLocation(ctx.store, c.key, route);
  };
  router.post("/iceberg/vector/load", withBody(v.object({ namespace: IndexName, source: Location }), async ({ namespace, source }) => {
    const route = "POST /iceberg/vector/load";
    const h = await headerAt(source, route);
    const { header } = h;
    if (header.count > MAX_INDEX_VECTORS) return fail(413, `${route}: ${source} holds ${header.count} vectors; an index holds at most ${MAX_INDEX_VECTORS}`);
    const records: Array<{ id: string; scale: number | null; bytes: Uint8Array }> = [];
    for await (const chunk of chunks(header, route)) {
      records.push(...unpack(chunk, header.dimensions, header.quantization === "int8"));
    }
    transaction(() => {
      sql.exec("DELETE FROM iv_vectors WHERE name = ?", namespace);
      sql.exec("INSERT OR REPLACE INTO iv_indexes (name, dims, metric, quantization, params) VALUES (?, ?, ?, ?, ?)", namespace, header.dimensions, header.metric, header.quantization, JSON.stringify({ M: null, efConstruction: null }));
      for (const r of records) sql.exec("INSERT OR REPLACE INTO iv_vectors (name, id, scale, vec) VALUES (?, ?, ?, ?)", namespace, r.id, r.scale, r.bytes);
    });
    return json({ ...describe(namespace), source, chunks: header.chunks.length }, 201);
  }));
  router.post("/iceberg/vector/search-streaming", withBody(v.object({ source: Location, vector: Numbers, k: K }), async ({ source, vector, k }) => {
    const route = "POST /iceberg/vector/search-streaming";
    const h = await headerAt(source, route);
    const { header } = h;
    if (vector.length !== header.dimensions) return fail(400, `${route}: the query has ${vector.length} dimensions; ${source} has ${header.dimensions}`);
    const query = Float32Array.from(vector);
    const top = new TopK(k ?? 10);
    let searched = 0;
    let bytes = 0;
    for await (const chunk of chunks(header, route)) {
      bytes += chunk.length;
      for (const r of unpack(chunk, header.dimensions, header.quantization === "int8")) {
        top.offer(r.id, exact(query, decode(r.scale, r.bytes), header.metric));
        searched++;
      }
    }
    return json({ source, k: k ?? 10, metric: header.metric, searched, chunksRead: header.chunks.length, bytesRead: bytes, exact: true, results: top.items });
  }));
}

export const icebergVectors: Feature = {
  name: "iceberg-vectors",
  serves: ["iceberg"],
  schema: { migrations: [migrateVectors] },
  routes: vectorRoutes,
};

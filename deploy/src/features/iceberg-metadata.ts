import type { RouterType } from "itty-router";
import { q, s as v, withBody, withQuery } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, json } from "../http";
import { toBase64 } from "../iceberg/index-store";
import { avroRecords } from "../iceberg/read";
import { R2Error, type ObjectStore } from "../iceberg/store";
import { keyOf } from "../iceberg/table";

// Reading an Iceberg table's metadata as an engine plans a query (contract §10): table metadata
// JSON → a snapshot's manifest list (Avro) → manifests (Avro) → data files, on any table in the
// bucket, named (`naics`) or by path (`warehouse/naics`). On iceberg.: parse one file
// (`/iceberg/metadata/parse|schema|partition-spec`, `/iceberg/manifest-list/parse`,
// `/iceberg/manifest/parse {path}`) and walk the chain (`/iceberg/navigate/…`). On metadata.: the
// same reads through this object's metadata cache (`/iceberg/metadata`, `/iceberg/manifest-list`,
// `/iceberg/manifest`, `forceRefresh` to bypass it) and the cache itself (`/iceberg/cache/…`).
// Every answer says what it read from the bucket (objects, bytes) and what it found cached.

const MAX_CACHE_BYTES = 32 * 1024 * 1024;
const TablePath = v.string({ pattern: /^(?:[\w.-]+\/){0,4}[\w.-]+$/, expected: "a table name or path (naics, warehouse/naics)" });
const ObjectPath = v.string({ pattern: /^(?:r2:\/\/[\w.-]+\/)?(?:[\w.=-]+\/){0,8}[\w.=-]+$/, expected: "an object path (warehouse/<table>/metadata/…)" });

const rootOf = (table: string): string => (table.startsWith("warehouse/") ? table : `warehouse/${table}`);

/** Avro values as JSON: longs as numbers, bytes as UTF-8 text when they are text, else base64. */
export function plain(x: unknown): unknown {
  if (typeof x === "bigint") return Number(x);
  if (x instanceof Uint8Array) {
    const text = new TextDecoder().decode(x);
    return /^[\x20-\x7e]*$/.test(text) ? text : { base64: toBase64(x) };
  }
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, val]) => [k, plain(val)]));
  return x;
}

interface TableMetadata {
  "format-version": number;
  "table-uuid": string;
  location: string;
  "current-snapshot-id": number;
  snapshots: Array<{ "snapshot-id": number; "sequence-number"?: number; "timestamp-ms": number; "manifest-list": string; summary?: Record<string, string> }>;
  schemas: Array<{ "schema-id": number; fields: Array<{ id: number; name: string; type: unknown; required: boolean }> }>;
  "current-schema-id"?: number;
  "partition-specs": Array<{ "spec-id": number; fields: Array<{ name: string; transform: string; "source-id": number; "field-id": number }> }>;
  "default-spec-id"?: number;
  properties?: Record<string, string>;
}

class NotFound extends Error {}

/** Reads bucket objects, counting them, through an optional per-object cache. */
class MetadataReader {
  readonly cache = new Map<string, ArrayBuffer>();
  hits = 0;
  misses = 0;
  constructor(private readonly store: ObjectStore) {}
  cacheBytes(): number {
    let n = 0;
    for (const b of this.cache.values()) n += b.byteLength;
    return n;
  }
  async get(key: string, reads: { objects: number; bytes: number; cached: number }, useCache: boolean): Promise<ArrayBuffer> {
    const hit = useCache ? this.cache.get(key) : undefined;
    if (hit) {
      this.hits++;
      reads.cached++;
      return hit;
    }
    this.misses++;
    const buf = await this.store.get(key);
    if (!buf) throw new NotFound(`nothing at ${key}`);
    reads.objects++;
    reads.bytes += buf.byteLength;
    if (useCache || this.cache.has(key)) {
      this.cache.set(key, buf);
      // Oldest first out past the budget (a Map keeps insertion order).
      while (this.cacheBytes() > MAX_CACHE_BYTES && this.cache.size > 1) this.cache.delete(this.cache.keys().next().value as string);
    }
    return buf;
  }
}

const readersOf = new WeakMap<FeatureContext, MetadataReader>();

function metadataRoutes(router: RouterType, ctx: FeatureContext): void {
  const reader = (): MetadataReader | null => {
    if (!ctx.store) return null;
    const r = readersOf.get(ctx) ?? new MetadataReader(ctx.store);
    readersOf.set(ctx, r);
    return r;
  };
  type Reads = { objects: number; bytes: number; cached: number };
  /** Runs a read: a missing object is 404 naming it, a failing bucket 502 naming R2. */
  const reading = async (route: string, fn: (r: MetadataReader, reads: Reads) => Promise<Record<string, unknown>>): Promise<Response> => {
    const r = reader();
    if (!r) return fail(503, "no R2 bucket is bound (ICEBERG)");
    const reads: Reads = { objects: 0, bytes: 0, cached: 0 };
    try {
      return json({ ...(await fn(r, reads)), reads });
    } catch (err) {
      if (err instanceof NotFound) return fail(404, `${route}: ${err.message}`);
      if (err instanceof R2Error) return fail(502, `${route}: ${err.message}`);
      // Anything else went wrong reading what the object holds: it is not the Iceberg file it was named as.
      return fail(422, `${route}: not readable as Iceberg metadata: ${(err as Error).message}`);
    }
  };
  const text = (buf: ArrayBuffer) => new TextDecoder().decode(buf);
  const metadataAt = async (r: MetadataReader, key: string, reads: Reads, cache = false): Promise<TableMetadata> => {
    const m = JSON.parse(text(await r.get(key, reads, cache))) as Partial<TableMetadata> | null;
    if (!m || !Array.isArray(m.snapshots) || !Array.isArray(m.schemas) || !Array.isArray(m["partition-specs"])) throw new Error(`${key} has no snapshots, schemas and partition-specs (a table metadata file has all three)`);
    return m as TableMetadata;
  };
  /** The table's current metadata, through its version hint. */
  const current = async (r: MetadataReader, table: string, reads: Reads, cache = false): Promise<{ key: string; meta: TableMetadata }> => {
    const root = rootOf(table);
    const hint = await r.get(`${root}/metadata/version-hint.text`, reads, cache).catch((err) => {
      throw err instanceof NotFound ? new NotFound(`no Iceberg table at ${root} (no metadata/version-hint.text)`) : err;
    });
    const key = `${root}/metadata/v${text(hint).trim()}.metadata.json`;
    return { key, meta: await metadataAt(r, key, reads, cache) };
  };
  const snapshotOf = (meta: TableMetadata, id: number | "current") => meta.snapshots.find((s) => s["snapshot-id"] === (id === "current" ? meta["current-snapshot-id"] : id));
  const manifestsOf = async (r: MetadataReader, listPath: string, reads: Reads, cache = false) => avroRecords(await r.get(keyOf(listPath), reads, cache), "manifest list");
  const entriesOf = async (r: MetadataReader, path: string, reads: Reads, cache = false) => avroRecords(await r.get(keyOf(path), reads, cache), "manifest");
  const summary = (key: string, m: TableMetadata) => ({
    path: key,
    formatVersion: m["format-version"],
    tableUuid: m["table-uuid"],
    location: m.location,
    currentSnapshotId: m["current-snapshot-id"],
    snapshots: m.snapshots.length,
    schemas: m.schemas.length,
    currentSchemaId: m["current-schema-id"] ?? 0,
    partitionSpecs: m["partition-specs"].length,
    properties: m.properties ?? {},
  });
  const dataFile = (e: Record<string, unknown>) => {
    const f = plain(e.data_file) as Record<string, unknown>;
    return { path: keyOf(String(f.file_path)), format: f.file_format, partition: f.partition, records: f.record_count, bytes: f.file_size_in_bytes, status: ["EXISTING", "ADDED", "DELETED"][Number(e.status)] ?? e.status };
  };
  /** A manifest path as given: absolute (r2://…), a key, or relative to the table (metadata/…). */
  const manifestKey = (table: string | undefined, path: string) => (path.startsWith("r2://") || path.startsWith("warehouse/") || !table ? keyOf(path) : `${rootOf(table)}/${path}`);

  // ---- one file at a time (iceberg.) ----
  router.post("/iceberg/metadata/parse", withBody(v.object({ path: ObjectPath }), ({ path }) => reading("POST /iceberg/metadata/parse", async (r, reads) => summary(keyOf(path), await metadataAt(r, keyOf(path), reads)))));
  router.post("/iceberg/metadata/schema", withBody(v.object({ path: ObjectPath, schemaId: v.optional(v.number({ integer: true, min: 0 })) }), ({ path, schemaId }) => reading("POST /iceberg/metadata/schema", async (r, reads) => {
    const m = await metadataAt(r, keyOf(path), reads);
    const id = schemaId ?? m["current-schema-id"] ?? 0;
    const schema = m.schemas.find((s) => s["schema-id"] === id);
    if (!schema) throw new NotFound(`${path} has no schema ${id} (schemas: ${m.schemas.map((s) => s["schema-id"]).join(", ")})`);
    return { path, schemaId: id, fields: schema.fields };
  })));
  router.post("/iceberg/metadata/partition-spec", withBody(v.object({ path: ObjectPath, specId: v.optional(v.number({ integer: true, min: 0 })) }), ({ path, specId }) => reading("POST /iceberg/metadata/partition-spec", async (r, reads) => {
    const m = await metadataAt(r, keyOf(path), reads);
    const id = specId ?? m["default-spec-id"] ?? 0;
    const spec = m["partition-specs"].find((s) => s["spec-id"] === id);
    if (!spec) throw new NotFound(`${path} has no partition spec ${id}`);
    const fields = m.schemas[0]?.fields ?? [];
    return { path, specId: id, fields: spec.fields.map((f) => ({ ...f, source: fields.find((c) => c.id === f["source-id"])?.name ?? null })) };
  })));
  router.post("/iceberg/manifest-list/parse", withBody(v.object({ path: ObjectPath }), ({ path }) => reading("POST /iceberg/manifest-list/parse", async (r, reads) => {
    const manifests = (await manifestsOf(r, path, reads)).map((m) => plain(m) as Record<string, unknown>);
    return { path, manifests: manifests.map((m) => ({ path: keyOf(String(m.manifest_path)), length: m.manifest_length, addedFiles: m.added_files_count ?? m.added_data_files_count, partitions: m.partitions ?? null, sequenceNumber: m.sequence_number ?? null })) };
  })));
  // Shared with search-manifest.ts, which answers `{json}`: `{path}` is an Avro manifest in the bucket.
  router.post("/iceberg/manifest/parse", withBody(v.object({ path: ObjectPath }), ({ path }) => reading("POST /iceberg/manifest/parse", async (r, reads) => {
    const entries = await entriesOf(r, path, reads);
    return { path, entries: entries.length, files: entries.map(dataFile) };
  })));

  // ---- the chain (iceberg.) ----
  router.post("/iceberg/navigate/manifest-chain", withBody(v.object({ table: TablePath }), ({ table }) => reading("POST /iceberg/navigate/manifest-chain", async (r, reads) => {
    const { key, meta } = await current(r, table, reads);
    const snap = snapshotOf(meta, "current");
    if (!snap) throw new NotFound(`${table} has no current snapshot`);
    const manifests = await manifestsOf(r, snap["manifest-list"], reads);
    let files = 0;
    for (const m of manifests) files += (await entriesOf(r, String(m.manifest_path), reads)).length;
    return { table, metadata: key, snapshotId: snap["snapshot-id"], manifestList: keyOf(snap["manifest-list"]), manifests: manifests.map((m) => keyOf(String(m.manifest_path))), dataFiles: files };
  })));
  router.post("/iceberg/navigate/snapshot", withBody(v.object({ table: TablePath, snapshotId: v.optional(v.number({ integer: true })) }), ({ table, snapshotId }) => reading("POST /iceberg/navigate/snapshot", async (r, reads) => {
    const { meta } = await current(r, table, reads);
    const snap = snapshotOf(meta, snapshotId ?? "current");
    if (!snap) throw new NotFound(`${table} has no snapshot ${snapshotId} (snapshots: ${meta.snapshots.map((s) => s["snapshot-id"]).join(", ")})`);
    return { table, snapshot: snap, current: snap["snapshot-id"] === meta["current-snapshot-id"] };
  })));
  router.post("/iceberg/navigate/data-files", withBody(v.object({ manifest: ObjectPath, table: v.optional(TablePath) }), ({ manifest, table }) => reading("POST /iceberg/navigate/data-files", async (r, reads) => {
    const entries = await entriesOf(r, manifestKey(table, manifest), reads);
    return { manifest, files: entries.map(dataFile) };
  })));
  const readManifests = async (r: MetadataReader, table: string, paths: string[] | null, count: number | null, parallel: boolean, reads: Reads) => {
    let keys = paths?.map((p) => manifestKey(table, p));
    if (!keys) {
      const { meta } = await current(r, table, reads);
      const snap = snapshotOf(meta, "current");
      if (!snap) throw new NotFound(`${table} has no current snapshot`);
      keys = (await manifestsOf(r, snap["manifest-list"], reads)).map((m) => keyOf(String(m.manifest_path))).slice(0, count ?? undefined);
    }
    const started = Date.now();
    const counts = parallel ? await Promise.all(keys.map(async (k) => (await entriesOf(r, k, reads)).length)) : [];
    if (!parallel) for (const k of keys) counts.push((await entriesOf(r, k, reads)).length);
    return { table, parallel, manifests: keys.map((k, i) => ({ path: k, files: counts[i] })), ms: Date.now() - started };
  };
  router.post("/iceberg/navigate/parallel-manifests", withBody(v.object({ table: TablePath, manifestPaths: v.optional(v.array(ObjectPath, { min: 1, max: 100 })) }), ({ table, manifestPaths }) =>
    reading("POST /iceberg/navigate/parallel-manifests", (r, reads) => readManifests(r, table, manifestPaths ?? null, null, true, reads))));
  router.post("/iceberg/navigate/sequential-manifests", withBody(v.object({ table: TablePath, manifestCount: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), ({ table, manifestCount }) =>
    reading("POST /iceberg/navigate/sequential-manifests", (r, reads) => readManifests(r, table, null, manifestCount ?? null, false, reads))));
  // Metadata to the data files of one partition: files of other partitions pruned by their partition value.
  router.post("/iceberg/navigate/e2e", withBody(v.object({ table: TablePath, partition: v.optional(v.record()) }), ({ table, partition }) => reading("POST /iceberg/navigate/e2e", async (r, reads) => {
    const { meta } = await current(r, table, reads);
    const snap = snapshotOf(meta, "current");
    if (!snap) throw new NotFound(`${table} has no current snapshot`);
    const specFields = meta["partition-specs"][0]?.fields.map((f) => f.name) ?? [];
    const wanted = Object.entries(partition ?? {});
    const unknown = wanted.find(([k]) => !specFields.includes(k));
    if (unknown) throw new NotFound(`${table} is not partitioned by ${unknown[0]} (partition fields: ${specFields.join(", ") || "none"})`);
    const files = [];
    let total = 0;
    for (const m of await manifestsOf(r, snap["manifest-list"], reads)) {
      for (const e of await entriesOf(r, String(m.manifest_path), reads)) {
        total++;
        const f = dataFile(e);
        if (wanted.every(([k, val]) => String((f.partition as Record<string, unknown>)?.[k]) === String(val))) files.push(f);
      }
    }
    return { table, snapshotId: snap["snapshot-id"], partition: partition ?? {}, totalFiles: total, prunedFiles: total - files.length, files };
  })));

  // ---- through the metadata cache (metadata.) ----
  const Table = v.object({ table: TablePath, forceRefresh: v.optional(v.boolean()) });
  router.post("/iceberg/metadata", withBody(Table, ({ table, forceRefresh }) => reading("POST /iceberg/metadata", async (r, reads) => {
    const { key, meta } = await current(r, table, reads, !forceRefresh);
    return { table, ...summary(key, meta), cached: reads.objects === 0 };
  })));
  router.post("/iceberg/manifest-list", withBody(v.object({ table: TablePath, snapshotId: v.optional(v.union(v.number({ integer: true }), v.literal("current"), "a snapshot id or \"current\"")), forceRefresh: v.optional(v.boolean()) }), ({ table, snapshotId, forceRefresh }) => reading("POST /iceberg/manifest-list", async (r, reads) => {
    const { meta } = await current(r, table, reads, !forceRefresh);
    const snap = snapshotOf(meta, snapshotId ?? "current");
    if (!snap) throw new NotFound(`${table} has no snapshot ${snapshotId ?? "current"}`);
    const manifests = await manifestsOf(r, snap["manifest-list"], reads, !forceRefresh);
    return { table, snapshotId: snap["snapshot-id"], manifests: manifests.map((m) => keyOf(String(m.manifest_path))), cached: reads.objects === 0 };
  })));
  router.post("/iceberg/manifest", withBody(v.object({ table: TablePath, manifestPath: v.optional(ObjectPath), forceRefresh: v.optional(v.boolean()) }), ({ table, manifestPath, forceRefresh }) => reading("POST /iceberg/manifest", async (r, reads) => {
    let key = manifestPath ? manifestKey(table, manifestPath) : null;
    if (!key) {
      const { meta } = await current(r, table, reads, !forceRefresh);
      const snap = snapshotOf(meta, "current");
      const first = snap ? (await manifestsOf(r, snap["manifest-list"], reads, !forceRefresh))[0] : undefined;
      if (!first) throw new NotFound(`${table} has no manifest`);
      key = keyOf(String(first.manifest_path));
    }
    const entries = await entriesOf(r, key, reads, !forceRefresh);
    return { table, manifest: key, files: entries.map(dataFile), cached: reads.objects === 0 };
  })));
  router.get("/iceberg/cache/stats", withQuery({ table: v.optional(q.string({ pattern: /^(?:[\w.-]+\/){0,4}[\w.-]+$/, expected: "a table name or path" })) }, (query) => {
    const r = reader();
    if (!r) return fail(503, "no R2 bucket is bound (ICEBERG)");
    const table = query.table ?? null;
    const prefix = table ? `${rootOf(table)}/` : "";
    const keys = [...r.cache.keys()].filter((k) => k.startsWith(prefix));
    return json({ table, entries: keys.length, cacheSizeBytes: keys.reduce((s, k) => s + (r.cache.get(k)?.byteLength ?? 0), 0), hits: r.hits, misses: r.misses, budgetBytes: MAX_CACHE_BYTES });
  }));
  router.post("/iceberg/cache/invalidate", withBody(v.object({ table: TablePath, scope: v.optional(v.literal("metadata", "manifests", "all")) }), ({ table, scope }) => {
    const r = reader();
    if (!r) return fail(503, "no R2 bucket is bound (ICEBERG)");
    const prefix = `${rootOf(table)}/metadata/`;
    // metadata: the version hint and metadata JSON; manifests: the Avro manifest lists and manifests.
    const hit = (k: string) => k.startsWith(prefix) && (scope === "metadata" ? !k.endsWith(".avro") : scope === "manifests" ? k.endsWith(".avro") : true);
    const gone = [...r.cache.keys()].filter(hit);
    for (const k of gone) r.cache.delete(k);
    return json({ table, scope: scope ?? "all", invalidated: gone.length });
  }));
  router.post("/iceberg/cache/refresh", withBody(v.object({ table: TablePath, async: v.optional(v.boolean()) }), ({ table }) => reading("POST /iceberg/cache/refresh", async (r, reads) => {
    const prefix = `${rootOf(table)}/metadata/`;
    for (const k of [...r.cache.keys()]) if (k.startsWith(prefix) && !k.endsWith(".avro")) r.cache.delete(k);
    const { key, meta } = await current(r, table, reads, true);
    return { table, refreshed: key, snapshotId: meta["current-snapshot-id"] };
  })));
}

export const icebergMetadata: Feature = {
  name: "iceberg-metadata",
  serves: ["iceberg", "metadata"],
  routes: metadataRoutes,
  shares: [{ route: "POST /iceberg/manifest/parse", with: "search-manifest", how: "search-manifest answers a body with `json` (a search manifest's text); a body with `path` falls through to here (an Avro manifest in the bucket)" }],
};

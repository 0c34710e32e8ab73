import type { RouterType } from "itty-router";
import { s as v, whenBody, withBody, withQuery } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, isObject, json, refuse } from "../http";
import { IndexName, indexNameOf, IndexQuery, Location, readJsonLocation, writeLocation } from "../iceberg/index-store";
import { first } from "../sql";
import { describeIndex } from "./iceberg-indexes";

// Search manifests (contract §10), on iceberg.: one JSON document per dataset saying which indexes
// exist for which field and where their files and the data files are, so a client finds every
// index of a dataset with one read. Version 1:
//
//   { version: 1, base: "cdn.example.com/dataset/v1",
//     indexes: { bloom:    { <field>: { file, fpr, items } },
//                range:    { <field>: { file } },
//                vector:   { <field>: { file, dims, count, metric } },
//                inverted: { <field>: { file } } },
//     data: { files: ["data/part-0000.parquet", …] } }
//
// A file's URL is `https://<base>/<file>`. Manifests are kept by name (`namespace`), persisted to
// and loaded from r2://manifests/…, and may be built from this object's own indexes.

const TYPES = ["bloom", "range", "vector", "inverted"] as const;
const MAX_MANIFEST_CHARS = 1_000_000;
const MAX_FILES = 10_000;

export interface SearchManifest {
  version: 1;
  base: string;
  indexes: Partial<Record<(typeof TYPES)[number], Record<string, Record<string, unknown> & { file: string }>>>;
  data: { files: string[] } & Record<string, unknown>;
}

/** Every way `m` is not a version 1 search manifest (empty when it is one). */
export function manifestErrors(m: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(m)) return ["the manifest is not an object"];
  if (m.version !== 1) errors.push(`version: expected 1, got ${JSON.stringify(m.version)}`);
  if (typeof m.base !== "string" || m.base.length === 0 || /^[a-z]+:\/\//i.test(m.base)) errors.push("base: expected a host and path without a scheme (cdn.example.com/dataset/v1)");
  if (!isObject(m.indexes)) errors.push("indexes: expected an object of index types");
  else {
    for (const [type, fields] of Object.entries(m.indexes)) {
      if (!(TYPES as readonly string[]).includes(type)) { errors.push(`indexes.${type}: unknown index type (${TYPES.join(", ")})`); continue; }
      if (!isObject(fields)) { errors.push(`indexes.${type}: expected an object of fields`); continue; }
      for (const [field, cfg] of Object.entries(fields)) {
        const at = `indexes.${type}.${field}`;
        if (!isObject(cfg) || typeof cfg.file !== "string" || cfg.file.length === 0) { errors.push(`${at}.file: expected a path`); continue; }
        if (type === "bloom" && !(typeof cfg.fpr === "number" && cfg.fpr > 0 && cfg.fpr < 1)) errors.push(`${at}.fpr: expected a number between 0 and 1`);
        if (type === "bloom" && !(Number.isInteger(cfg.items) && (cfg.items as number) >= 0)) errors.push(`${at}.items: expected a count`);
        if (type === "vector" && !(Number.isInteger(cfg.dims) && (cfg.dims as number) > 0)) errors.push(`${at}.dims: expected a positive integer`);
        if (type === "vector" && cfg.metric !== undefined && !["cosine", "euclidean", "dot"].includes(cfg.metric as string)) errors.push(`${at}.metric: expected cosine, euclidean or dot`);
      }
    }
  }
  if (!isObject(m.data) || !Array.isArray(m.data.files) || !m.data.files.every((f) => typeof f === "string" && f.length > 0)) errors.push("data.files: expected an array of paths");
  else if (m.data.files.length > MAX_FILES) errors.push(`data.files: at most ${MAX_FILES} files`);
  return errors;
}

const url = (m: SearchManifest, file: string): string => `https://${m.base.replace(/\/+$/, "")}/${file.replace(/^\/+/, "")}`;

const IndexType = v.literal(...TYPES);
const Field = v.string({ pattern: /^[\w.-]{1,128}$/, expected: "a field name" });

function manifestRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const load = (name: string, route: string): SearchManifest => {
    const row = first<{ doc: string }>(sql, "SELECT doc FROM sm_manifests WHERE name = ?", name);
    return row ? (JSON.parse(row.doc) as SearchManifest) : refuse(404, `${route}: no search manifest ${name}`);
  };
  const save = (name: string, m: unknown, route: string, status = 201): Response => {
    const errors = manifestErrors(m);
    if (errors.length) return fail(400, `${route}: not a search manifest: ${errors.slice(0, 5).join("; ")}`);
    const doc = JSON.stringify(m);
    if (doc.length > MAX_MANIFEST_CHARS) return fail(413, `${route}: the manifest is ${doc.length} characters; at most ${MAX_MANIFEST_CHARS}`);
    sql.exec("INSERT OR REPLACE INTO sm_manifests (name, doc) VALUES (?, ?)", name, doc);
    const sm = m as SearchManifest;
    return json({ namespace: name, indexes: Object.values(sm.indexes).reduce((s, f) => s + Object.keys(f ?? {}).length, 0), files: sm.data.files.length, bytes: doc.length }, status);
  };
  const entry = (m: SearchManifest, type: string, field: string) => m.indexes[type as (typeof TYPES)[number]]?.[field];

  router.post("/iceberg/manifest/create", withBody(v.object({ namespace: IndexName, base: v.string(), indexes: v.record(), data: v.record(), version: v.optional(v.number()) }), ({ namespace, base, indexes, data, version }) =>
    save(namespace, { version: version ?? 1, base, indexes, data }, "POST /iceberg/manifest/create")));
  router.post("/iceberg/manifest/validate", withBody(v.object({ manifest: v.value() }), ({ manifest }) => {
    const errors = manifestErrors(manifest);
    return json({ valid: errors.length === 0, errors });
  }));
  // Shared with iceberg-metadata.ts: a body with `json` is a search manifest; `{path}` falls through to the Avro manifest reader.
  router.post("/iceberg/manifest/parse", whenBody(v.object({ json: v.string({ min: 1 }) }), ({ json: text }) => {
    if (text.length > MAX_MANIFEST_CHARS) return fail(413, `POST /iceberg/manifest/parse: json is ${text.length} characters; at most ${MAX_MANIFEST_CHARS}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail(400, "POST /iceberg/manifest/parse: json is not valid JSON");
    }
    const errors = manifestErrors(parsed);
    if (errors.length) return fail(400, `POST /iceberg/manifest/parse: not a search manifest: ${errors.slice(0, 5).join("; ")}`);
    const m = parsed as SearchManifest;
    return json({ valid: true, manifest: m, indexes: Object.entries(m.indexes).flatMap(([type, fields]) => Object.keys(fields ?? {}).map((field) => ({ type, field }))), files: m.data.files.length });
  }));
  router.post("/iceberg/manifest/build-url", withBody(v.object({ namespace: IndexName, indexType: IndexType, field: Field }), ({ namespace, indexType, field }) => {
    const m = load(namespace, "POST /iceberg/manifest/build-url");
    const e = entry(m, indexType, field);
    return e ? json({ namespace, indexType, field, url: url(m, e.file) }) : fail(404, `POST /iceberg/manifest/build-url: ${namespace} has no ${indexType} index on ${field}`);
  }));
  router.post("/iceberg/manifest/build-all-urls", withBody(v.object({ namespace: IndexName }), ({ namespace }) => {
    const m = load(namespace, "POST /iceberg/manifest/build-all-urls");
    const urls = Object.fromEntries(Object.entries(m.indexes).map(([type, fields]) => [type, Object.fromEntries(Object.entries(fields ?? {}).map(([f, e]) => [f, url(m, e.file)]))]));
    return json({ namespace, urls });
  }));
  router.get("/iceberg/manifest/discover", withQuery(IndexQuery, (query, request) => {
    const name = indexNameOf(request, query);
    const m = load(name, "GET /iceberg/manifest/discover");
    return json({ namespace: name, base: m.base, indexes: Object.entries(m.indexes).flatMap(([type, fields]) => Object.entries(fields ?? {}).map(([field, cfg]) => ({ type, field, ...cfg, url: url(m, cfg.file) }))) });
  }));
  router.post("/iceberg/manifest/get-config", withBody(v.object({ namespace: IndexName, indexType: IndexType, field: Field }), ({ namespace, indexType, field }) => {
    const m = load(namespace, "POST /iceberg/manifest/get-config");
    const e = entry(m, indexType, field);
    return e ? json({ namespace, indexType, field, config: e }) : fail(404, `POST /iceberg/manifest/get-config: ${namespace} has no ${indexType} index on ${field}`);
  }));
  router.post("/iceberg/manifest/has-index", withBody(v.object({ namespace: IndexName, indexType: IndexType, field: Field }), ({ namespace, indexType, field }) => {
    const m = load(namespace, "POST /iceberg/manifest/has-index");
    return json({ namespace, indexType, field, hasIndex: entry(m, indexType, field) !== undefined });
  }));
  router.post("/iceberg/manifest/serialize", withBody(v.object({ namespace: IndexName }), ({ namespace }) => {
    const m = load(namespace, "POST /iceberg/manifest/serialize");
    const text = JSON.stringify(m);
    return json({ namespace, bytes: new TextEncoder().encode(text).length, json: text });
  }));
  router.get("/iceberg/manifest/data-urls", withQuery(IndexQuery, (query, request) => {
    const name = indexNameOf(request, query);
    const m = load(name, "GET /iceberg/manifest/data-urls");
    return json({ namespace: name, urls: m.data.files.map((f) => url(m, f)) });
  }));
  router.post("/iceberg/manifest/data-url", withBody(v.object({ namespace: IndexName, index: v.number({ integer: true, min: 0, max: MAX_FILES }) }), ({ namespace, index }) => {
    const m = load(namespace, "POST /iceberg/manifest/data-url");
    const file = m.data.files[index];
    return file ? json({ namespace, index, file, url: url(m, file) }) : fail(404, `POST /iceberg/manifest/data-url: ${namespace} has ${m.data.files.length} data files; no index ${index}`);
  }));
  router.post("/iceberg/manifest/persist", withBody(v.object({ namespace: IndexName, destination: Location }), async ({ namespace, destination }) => {
    const route = "POST /iceberg/manifest/persist";
    const m = load(namespace, route);
    const text = JSON.stringify(m);
    await writeLocation(ctx.store, destination, text, route);
    return json({ namespace, destination, bytes: text.length }, 201);
  }));
  router.post("/iceberg/manifest/load", withBody(v.object({ namespace: IndexName, source: Location }), async ({ namespace, source }) => {
    const route = "POST /iceberg/manifest/load";
    const parsed = await readJsonLocation(ctx.store, source, route);
    return save(namespace, parsed, route);
  }));
  // A manifest describing indexes built here: each source index named, typed and given the field it covers.
  const Source = v.object({ namespace: IndexName, type: IndexType, field: Field, file: v.optional(v.string({ min: 1 })) });
  router.post("/iceberg/manifest/create-from-indexes", withBody(v.object({ namespace: IndexName, base: v.string(), sourceIndexes: v.array(Source, { min: 1, max: 100 }), data: v.record() }), ({ namespace, base, sourceIndexes, data }) => {
    const indexes: SearchManifest["indexes"] = {};
    for (const s of sourceIndexes) {
      const described = s.type === "vector" ? vectorOf(sql, s.namespace) : describeIndex(sql, s.type, s.namespace);
      if (!described) return fail(404, `POST /iceberg/manifest/create-from-indexes: no ${s.type} index ${s.namespace}`);
      const ext = { bloom: "bloom", range: "range", vector: "vectors", inverted: "idx" }[s.type];
      (indexes[s.type] ??= {})[s.field] = { file: s.file ?? `indexes/${s.type}/${s.field}.${ext}`, ...described };
    }
    return save(namespace, { version: 1, base, indexes, data }, "POST /iceberg/manifest/create-from-indexes");
  }));
}

/** A vector index's entry (iceberg-vectors.ts keeps it): dims, count, metric. */
function vectorOf(sql: SqlStorage, name: string): Record<string, unknown> | null {
  const row = first<{ dims: number; metric: string }>(sql, "SELECT dims, metric FROM iv_indexes WHERE name = ?", name);
  return row ? { dims: row.dims, metric: row.metric, count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM iv_vectors WHERE name = ?", name)?.n ?? 0 } : null;
}

export const searchManifest: Feature = {
  name: "search-manifest",
  serves: ["iceberg"],
  uses: ["iceberg-indexes", "iceberg-vectors"],
  schema: { migrations: [(sql) => void sql.exec("CREATE TABLE IF NOT EXISTS sm_manifests (name TEXT PRIMARY KEY, doc TEXT NOT NULL)")] },
  routes: manifestRoutes,
};


import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { icebergRead } from "icebird";
import type { Miniflare } from "miniflare";
import Papa from "papaparse";
import { ensureGoTool } from "../../lib/node/tools/go-tool";
import { readBloomFilter, sbbfContains } from "hyparquet/src/bloom.js";
import { xxhash64 } from "hyparquet/src/xxhash.js";
import { fnv1a } from "../../deploy/src/shard-routing";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// The reference Worker's Iceberg tables, written into miniflare's R2 and then read by an independent
// Iceberg reader (icebird, which reads table metadata, the manifest list, manifests and Parquet data
// files over fetch): the tables are real Iceberg tables, not files only this Worker understands.

const ROOT = join(import.meta.dirname, "..", "..");
const csv = (name: string) => Papa.parse<Record<string, string>>(readFileSync(join(ROOT, "fixtures", "standards", `${name}.csv`), "utf8"), { header: true, skipEmptyLines: true }).data;
/** The pruning report of deploy/src/iceberg/read.ts (not imported: it is Worker code, typed with the Workers runtime). */
interface Pruning {
  files: { total: number; prunedByPartition: number; prunedByBounds: number; read: number };
  rowGroups: { total: number; prunedByStats: number; prunedByBloom: number; read: number };
  reads: { objects: number; bytes: number; metadataFiles: number; dataFiles: number };
  cached: boolean;
}
let worker: WorkerUnderTest;
let mf: Miniflare;
const naics = csv("naics");

async function call(namespace: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await mf.dispatchFetch(`https://${namespace}.perf.do${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

before(async () => {
  worker = await startWorkerMiniflare();
  mf = worker.mf;
  assert.equal((await call("iceberg", "POST", "/iceberg/tables/naics/stage", { rows: naics })).status, 200);
  const commit = await call("iceberg", "POST", "/iceberg/tables/naics/commit");
  assert.equal(commit.status, 201, JSON.stringify(commit.json));
});

after(() => worker?.dispose());

describe("Iceberg tables on R2", () => {
  it("are read whole by an independent Iceberg reader (icebird), every row equal to its CSV row", async () => {
    const bucket = await mf.getR2Bucket("ICEBERG_LOCAL");
    const realFetch = globalThis.fetch;
    // icebird fetches the table's absolute paths; r2://perfdo-iceberg/<key> is served from the bucket (HEAD and Range included).
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.startsWith("r2://perfdo-iceberg/")) return realFetch(input, init);
      const key = url.slice("r2://perfdo-iceberg/".length);
      const head = await bucket.head(key);
      if (!head) return new Response("no such key", { status: 404 });
      if (init?.method === "HEAD") return new Response(null, { headers: { "content-length": String(head.size) } });
      const range = /^bytes=(\d+)-(\d+)?$/.exec(new Headers(init?.headers).get("range") ?? "");
      const offset = range ? Number(range[1]) : 0;
      const end = range?.[2] !== undefined ? Number(range[2]) + 1 : head.size;
      const obj = await bucket.get(key, { range: { offset, length: end - offset } });
      return new Response(await (obj as { arrayBuffer(): Promise<ArrayBuffer> }).arrayBuffer(), { status: range ? 206 : 200, headers: { "content-length": String(end - offset) } });
    }) as typeof fetch;
    try {
      const rows = (await icebergRead({ tableUrl: "r2://perfdo-iceberg/warehouse/naics" })) as Array<Record<string, string>>;
      assert.equal(rows.length, naics.length);
      const byCode = new Map(rows.map((r) => [r.code, r]));
      for (const row of naics) assert.deepEqual({ ...byCode.get(row.code as string) }, { code: row.code, title: row.title, level: row.level, parent: row.parent });
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("are read whole by Apache's iceberg-go (another family of reader), every row equal to its CSV row", async () => {
    // The bucket's objects as files; iceberg-read (tools/iceberg-read) maps r2://perfdo-iceberg/<key> to them.
    const bucket = await mf.getR2Bucket("ICEBERG_LOCAL");
    const dir = mkdtempSync(join(tmpdir(), "perfdo-bucket-"));
    try {
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix: "warehouse/naics/", cursor });
        for (const o of page.objects) {
          const file = join(dir, o.key);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, new Uint8Array(await ((await bucket.get(o.key)) as { arrayBuffer(): Promise<ArrayBuffer> }).arrayBuffer()));
        }
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      const res = spawnSync(ensureGoTool(ROOT, "iceberg-read"), [dir, "naics"], { encoding: "utf8", maxBuffer: 1 << 26 });
      assert.equal(res.status, 0, res.stderr);
      const rows = res.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
      assert.equal(rows.length, naics.length);
      const byCode = new Map(rows.map((r) => [r.code, r]));
      for (const row of naics) assert.deepEqual(byCode.get(row.code as string), { code: row.code, title: row.title, level: row.level, parent: row.parent });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a point lookup reads one data file and one row group; a cached one reads nothing; a missing code is ruled out by the bloom filter", async () => {
    const row = naics[1234] as Record<string, string>;
    const cold = await call("naics", "GET", `/naics/${row.code}?cold=true`);
    assert.equal(cold.status, 200);
    assert.deepEqual(cold.json.row, { code: row.code, title: row.title, level: row.level, parent: row.parent });
    const p = cold.json.pruning as Pruning;
    assert.equal(p.files.read, 1, JSON.stringify(p));
    assert.equal(p.files.prunedByPartition + p.files.prunedByBounds, p.files.total - 1);
    assert.equal(p.rowGroups.read, 1, JSON.stringify(p));
    assert.equal(p.reads.dataFiles, 1);
    assert.ok(p.reads.metadataFiles >= 3, "cold: version hint, metadata, manifest list and manifest read from R2");
    // Cached: another code of the same row group (NAICS: 50 rows a group, sorted, by sector), not the one just read.
    const sector = naics.filter((r) => (r.code as string).startsWith((row.code as string).slice(0, 2)));
    const at = sector.findIndex((r) => r.code === row.code);
    const other = sector[Math.floor(at / 50) * 50 === at ? at + 1 : at - 1] as Record<string, string>;
    const warm = await call("naics", "GET", `/naics/${other.code}`);
    assert.equal((warm.json.row as Record<string, string>).title, other.title);
    const w = warm.json.pruning as Pruning;
    assert.deepEqual(w.reads, { objects: 0, bytes: 0, metadataFiles: 0, dataFiles: 0 });
    assert.equal(w.cached, true);
    // A code inside a row group's min/max that is not in the table: statistics keep the group, the bloom filter rules it out.
    const codes = naics.map((r) => r.code as string).filter((c) => c.startsWith("44")).sort();
    const missing = `${codes[5] as string}0`; // sorts between two codes of the sector, and is none of them
    assert.ok(!codes.includes(missing));
    const miss = await call("iceberg", "GET", `/iceberg/tables/naics/lookup?key=${missing}`);
    assert.equal(miss.json.found, false);
    assert.ok((miss.json.pruning as Pruning).rowGroups.prunedByBloom >= 1, JSON.stringify(miss.json.pruning));
  });

  it("answers SQL over a table: the key's conditions prune as a lookup does, the others filter, columns projected", async () => {
    const row = naics[777] as Record<string, string>;
    const one = await call("naics", "POST", "/iceberg/query", { sql: "SELECT * FROM industries WHERE code = ?", params: [row.code], cold: true });
    assert.equal(one.status, 200, JSON.stringify(one.json));
    assert.deepEqual(one.json.rows, [{ code: row.code, title: row.title, level: row.level, parent: row.parent }]);
    assert.equal((one.json.pruning as Pruning).files.read, 1, "a point query reads one data file");
    const sector = naics.filter((r) => (r.code as string).startsWith("44")).sort((a, b) => String(a.code).localeCompare(String(b.code)));
    const lo = sector[0]?.code as string;
    const hi = sector[sector.length - 1]?.code as string;
    const range = await call("naics", "POST", "/iceberg/query", { sql: "SELECT code, title FROM industries WHERE code BETWEEN ? AND ? AND level = ? LIMIT 500", params: [lo, hi, "6"] });
    const want = sector.filter((r) => String(r.level) === "6").map((r) => ({ code: r.code, title: r.title }));
    assert.deepEqual(range.json.rows, want, "the sector's level-6 codes, only the columns asked for");
    assert.ok((range.json.pruning as Pruning).files.read < (range.json.pruning as Pruning).files.total, "files outside the key range pruned");
    assert.equal((await call("naics", "POST", "/iceberg/query", { sql: "SELECT * FROM things WHERE id = ?", params: ["x"] })).status, 404);
    assert.equal((await call("naics", "POST", "/iceberg/query", { sql: "SELECT * FROM industries WHERE code = 'x'" })).status, 400, "values are parameters only");
    assert.equal((await call("naics", "POST", "/iceberg/query", { sql: "DELETE FROM industries", params: [] })).status, 400);
  });

  it("answers the same row scattered to every shard as targeted to the owner; every shard does its own lookup", async () => {
    const row = naics[42] as Record<string, string>;
    const scattered = await call("iceberg", "GET", `/iceberg/tables/naics/lookup?key=${row.code}&scatter=true&cold=true`);
    const targeted = await call("iceberg", "GET", `/iceberg/tables/naics/lookup?key=${row.code}&scatter=false`);
    assert.equal(scattered.json.shardsQueried, 4);
    assert.equal(targeted.json.shardsQueried, 1);
    assert.deepEqual(scattered.json.row, targeted.json.row);
    assert.equal((scattered.json.row as Record<string, string>).title, row.title);
    // Cold, every shard read the metadata and the one data file from R2 itself.
    const shards = scattered.json.pruning as Pruning[];
    assert.equal(shards.length, 4);
    for (const p of shards) assert.ok(p.reads.dataFiles === 1 && p.reads.metadataFiles >= 3 && p.files.read === 1, JSON.stringify(p));
  });

  it("refuses a staged value its column cannot hold, naming the column, and the committed table still reads whole", async () => {
    const before = await call("iceberg", "GET", "/iceberg/tables/naics");
    const wrong = await call("iceberg", "POST", "/iceberg/tables/naics/stage", { rows: [{ code: "11", title: "Agriculture" }, { code: "21", title: 42 }, { code: "22", title: "Utilities", sector: "x" }] });
    assert.equal(wrong.status, 400, JSON.stringify(wrong.json));
    assert.match(String(wrong.json.error), /rows\[1\]\.title: expected a string/);
    assert.match(String(wrong.json.error), /rows\[2\]\.sector: not a column of naics/);
    // Nothing of that request was staged: a commit now has nothing to write, and the table is as it was.
    assert.equal((await call("iceberg", "POST", "/iceberg/tables/naics/commit")).status, 409);
    const after = await call("iceberg", "GET", "/iceberg/tables/naics");
    assert.equal(after.status, 200);
    assert.equal(after.json.records, naics.length);
    assert.equal(after.json.snapshotId, before.json.snapshotId);
    const lookup = await call("iceberg", "GET", `/iceberg/tables/naics/lookup?key=${(naics[0] as Record<string, string>).code}`);
    assert.equal(lookup.json.found, true);
  });

  it("stages a row once: two loaders staging the same rows at once leave one copy", async () => {
    const rows = [{ ns: "a", id: "1", type: "T" }, { ns: "a", id: "2", type: "T" }, { ns: "b", id: "1", type: "T" }];
    const [first, second] = await Promise.all([1, 2].map(() => call("iceberg", "POST", "/iceberg/tables/resources/stage", { rows })));
    assert.equal(first?.status, 200);
    assert.equal(second?.status, 200);
    assert.equal((await call("iceberg", "POST", "/iceberg/tables/resources/stage", { rows: rows.slice(0, 1) })).json.staged, 3);
  });

  it("answers 502 naming R2 when the bucket fails, never 404", async () => {
    const failing = await startWorkerMiniflare({ PERFDO_FAULT: "r2-unavailable" });
    try {
      const res = await failing.mf.dispatchFetch("https://naics.perf.do/naics/11?cold=true");
      const body = (await res.json()) as { error?: string };
      assert.equal(res.status, 502, JSON.stringify(body));
      assert.match(JSON.stringify(body), /R2: get warehouse\/naics\/metadata\/version-hint\.text: the bucket is unavailable/);
      const scatter = await failing.mf.dispatchFetch("https://iceberg.perf.do/iceberg/tables/naics/lookup?key=11&scatter=true");
      assert.equal(scatter.status, 502, await scatter.text());
    } finally {
      await failing.dispose();
    }
  });
});

describe("Iceberg metadata read and walked (iceberg-metadata.ts)", () => {
  const post = (namespace: string, path: string, body: unknown) => call(namespace, "POST", path, body);

  it("parses the table's metadata, schema, partition spec, manifest list and manifest, as written", async () => {
    const meta = await post("iceberg", "/iceberg/metadata/parse", { path: "warehouse/naics/metadata/v1.metadata.json" });
    assert.equal(meta.status, 200, JSON.stringify(meta.json));
    assert.deepEqual([meta.json.formatVersion, meta.json.snapshots, meta.json.location], [2, 1, "r2://perfdo-iceberg/warehouse/naics"]);
    const schema = await post("iceberg", "/iceberg/metadata/schema", { path: "warehouse/naics/metadata/v1.metadata.json", schemaId: 0 });
    assert.deepEqual((schema.json.fields as Array<{ name: string }>).map((f) => f.name), ["code", "title", "level", "parent"]);
    const spec = await post("iceberg", "/iceberg/metadata/partition-spec", { path: "warehouse/naics/metadata/v1.metadata.json" });
    assert.deepEqual((spec.json.fields as Array<{ transform: string; source: string }>).map((f) => `${f.transform}(${f.source})`), ["truncate[2](code)"]);
    const chain = await post("iceberg", "/iceberg/navigate/manifest-chain", { table: "naics" });
    const manifests = chain.json.manifests as string[];
    assert.equal(manifests.length, 1);
    const list = await post("iceberg", "/iceberg/manifest-list/parse", { path: chain.json.manifestList });
    assert.deepEqual((list.json.manifests as Array<{ path: string }>).map((m) => m.path), manifests);
    const parsed = await post("iceberg", "/iceberg/manifest/parse", { path: manifests[0] });
    const files = parsed.json.files as Array<{ records: number; partition: Record<string, string> }>;
    assert.equal(files.reduce((s, f) => s + f.records, 0), naics.length, "the manifest's data files hold every row");
    assert.equal(chain.json.dataFiles, files.length);
    const sector = await post("iceberg", "/iceberg/navigate/e2e", { table: "naics", partition: { code_trunc: "11" } });
    assert.equal((sector.json.files as unknown[]).length, 1, "one data file for sector 11");
    assert.equal(sector.json.prunedFiles, files.length - 1);
    assert.equal((await post("iceberg", "/iceberg/navigate/e2e", { table: "naics", partition: { ns: "x" } })).status, 404);
    assert.equal((await post("iceberg", "/iceberg/navigate/manifest-chain", { table: "warehouse/db/things" })).status, 404);
    // A JSON object that is not table metadata, and JSON read as Avro: 422 naming the file, never a 500.
    await post("iceberg", "/iceberg/manifest/create", { namespace: "not-metadata", base: "cdn.example.com/x", indexes: {}, data: { files: ["a.parquet"] } });
    await post("iceberg", "/iceberg/manifest/persist", { namespace: "not-metadata", destination: "r2://manifests/not-metadata.json" });
    for (const path of ["/iceberg/metadata/parse", "/iceberg/metadata/schema", "/iceberg/metadata/partition-spec", "/iceberg/manifest-list/parse"]) {
      const r = await post("iceberg", path, { path: "manifests/not-metadata.json" });
      assert.equal(r.status, 422, `${path}: ${JSON.stringify(r.json)}`);
    }
  });

  it("reads through metadata.'s cache: the second read costs no object, forceRefresh and invalidate read again", async () => {
    const first = await post("metadata", "/iceberg/metadata", { table: "naics" });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.equal((first.json.reads as { objects: number }).objects, 2, "the version hint and the metadata JSON");
    const again = await post("metadata", "/iceberg/metadata", { table: "naics" });
    assert.deepEqual([again.json.cached, (again.json.reads as { objects: number }).objects], [true, 0]);
    const forced = await post("metadata", "/iceberg/metadata", { table: "naics", forceRefresh: true });
    assert.equal((forced.json.reads as { objects: number }).objects, 2);
    await post("metadata", "/iceberg/manifest-list", { table: "naics", snapshotId: "current" });
    const stats = await call("metadata", "GET", "/iceberg/cache/stats?table=naics");
    assert.ok((stats.json.cacheSizeBytes as number) > 0 && (stats.json.entries as number) === 3, JSON.stringify(stats.json));
    assert.equal((await post("metadata", "/iceberg/cache/invalidate", { table: "naics", scope: "metadata" })).json.invalidated, 2);
    assert.equal(((await post("metadata", "/iceberg/metadata", { table: "naics" })).json.reads as { objects: number }).objects, 2);
  });
});

describe("Iceberg queries across shards (POST /iceberg/query)", () => {
  // 10 namespaces × 40 things, the table partitioned by the whole namespace.
  const things = Array.from({ length: 400 }, (_, i) => ({ ns: `tenant-${i % 10}`, type: ["Function", "State", "Event"][i % 3] as string, id: `thing-${Math.floor(i / 10)}`, visibility: i % 2 ? "public" : "private", created_at: `2024-01-${String(1 + (i % 28)).padStart(2, "0")}`, data: "{}" }));
  const q = async (namespace: string, search: string, body: Record<string, unknown>) => {
    const r = await call(namespace, "POST", `/iceberg/query${search}`, body);
    assert.ok(r.status < 300, `${search} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as { rows: Array<Record<string, unknown>>; count: number; shard?: number; shardsQueried?: number; perShard?: Array<{ shard: number; count: number }> };
  };

  it("counts on every shard and sums, asks one shard, a key's owner, a listed few or those a range holds, and each answer agrees", async () => {
    assert.equal((await call("iceberg", "POST", "/iceberg/tables/things/stage", { rows: things })).status, 200);
    assert.equal((await call("iceberg", "POST", "/iceberg/tables/things/commit")).status, 201);
    const total = await q("sharded", "?scatter=true", { sql: "SELECT COUNT(*) AS count FROM things", aggregate: "sum" });
    assert.deepEqual(total.rows, [{ count: 400 }]);
    assert.equal(total.shardsQueried, 4);
    assert.deepEqual((await q("sharded", "?scatter=true&shards=8", { sql: "SELECT COUNT(*) FROM things" })).rows, [{ count: 400 }], "8 shards split the same rows");
    const each = await Promise.all([0, 1, 2, 3].map((i) => q("sharded", `?shard=${i}`, { sql: "SELECT COUNT(*) FROM things" })));
    assert.equal(each.reduce((s, r) => s + (r.rows[0]?.count as number), 0), 400, "the four shards' rows partition the table");
    const partial = await q("sharded", "?scatter=partial", { sql: "SELECT COUNT(*) FROM things", shards: [0, 1], aggregate: "sum" });
    assert.equal(partial.rows[0]?.count, (each[0]?.rows[0]?.count as number) + (each[1]?.rows[0]?.count as number));
    const one = await q("tenant", "?shardKey=tenant-3", { sql: "SELECT * FROM things WHERE ns = ? AND id = ?", params: ["tenant-3", "thing-7"] });
    assert.deepEqual(one.rows.map((r) => `${r.ns}/${r.id}`), ["tenant-3/thing-7"]);
    assert.equal(one.shardsQueried, 1);
    const ranged = await q("sharded", "?scatter=range", { sql: "SELECT * FROM things WHERE ns >= ? AND ns < ? LIMIT 1000", params: ["tenant-2", "tenant-4"] });
    assert.equal(ranged.count, 80, "two namespaces of 40");
    // The range's bounds are taken inclusively for pruning (`<` as `<=`): partitions tenant-2 to tenant-4.
    const owners = new Set(["tenant-2", "tenant-3", "tenant-4"].map((ns) => fnv1a(ns) % 4));
    assert.equal(ranged.shardsQueried, owners.size, "only the owners of the range's partitions are asked");
    const listed = await q("resources", "", { sql: "SELECT id FROM things WHERE ns IN (?, ?) AND type = ? LIMIT 1000", params: ["tenant-5", "tenant-1", "State"] });
    assert.ok(listed.count > 0 && listed.rows.every((r) => Object.keys(r).join() === "id"));
    assert.equal(listed.count, things.filter((t) => (t.ns === "tenant-5" || t.ns === "tenant-1") && t.type === "State").length);
    assert.equal((await call("sharded", "POST", "/iceberg/query?shard=9", { sql: "SELECT COUNT(*) FROM things" })).status, 400, "shard 9 of 4");
  });
});

describe("Planning a scan: pruning decisions and Puffin statistics (iceberg-planning.ts)", () => {
  const post = async (path: string, body: unknown) => {
    const r = await call("iceberg", "POST", path, body);
    assert.ok(r.status < 300, `${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };

  it("prunes as Iceberg's manifest evaluator does: eq, in and ranges against the bounds, ≠ never", async () => {
    const summary = { ns: { lower: "orders.do", upper: "users.do" }, ts: { lower: "2024-06-01T00:00:00Z", upper: "2024-06-30T23:59:59Z" } };
    assert.equal((await post("/iceberg/pruning/decide", { filter: { ns: "payments.do" }, partitionSummary: summary })).decision, "include");
    assert.equal((await post("/iceberg/pruning/decide", { filter: { ns: "alpha.do" }, partitionSummary: summary })).decision, "exclude");
    assert.equal((await post("/iceberg/pruning/evaluate-range", { filter: { ts: { gte: "2024-07-01T00:00:00Z" } }, partitionSummary: summary })).matches, false);
    assert.equal((await post("/iceberg/pruning/evaluate-range", { filter: { ts: { gte: "2024-01-01T00:00:00Z", lte: "2024-12-31T23:59:59Z" } }, partitionSummary: summary })).matches, true);
    assert.equal((await post("/iceberg/pruning/evaluate-in", { filter: { ns: { in: ["a.do", "b.do"] } }, partitionSummary: summary })).matches, false);
    assert.equal((await post("/iceberg/pruning/evaluate-not", { filter: { ns: { not: "orders.do" } }, partitionSummary: { ns: { lower: "orders.do", upper: "orders.do" } } })).matches, true, "≠ never prunes");
    const elim = await post("/iceberg/pruning/eliminate-manifests", { filter: { ns: "payments.do" }, manifests: [{ path: "m1", ns: { lower: "payments.do", upper: "payments.do" } }, { path: "m2", ns: { lower: "orders.do", upper: "orders.do" } }, { path: "m3", ns: { lower: "users.do", upper: "users.do" } }] });
    assert.deepEqual([elim.kept, elim.prunedManifests], [["m1"], 2]);
    const marks = await post("/iceberg/pruning/extract-binary-marks", { partitions: [{ lowerBound: Buffer.from("payments.do").toString("base64"), upperBound: Buffer.from("payments.do").toString("base64") }, { lowerBound: Buffer.from([42, 0, 0, 0]).toString("base64"), upperBound: Buffer.from([7, 1, 0, 0]).toString("base64"), type: "int" }] });
    assert.deepEqual((marks.marks as Array<{ lower: unknown; upper: unknown }>).map((m) => [m.lower, m.upper]), [["payments.do", "payments.do"], [42, 263]]);
  });

  it("writes a Puffin file of a data file's columns that the spec's layout reads back, its bloom blob Parquet's own bytes", async () => {
    const sector = await post("/iceberg/navigate/e2e", { table: "naics", partition: { code_trunc: "11" } });
    const file = (sector.files as Array<{ path: string; records: number }>)[0] as { path: string; records: number };
    const made = await post("/iceberg/puffin/workflow", { dataFile: file.path, columns: [{ name: "code", bloom: true }, { name: "level", setIndex: true }, { name: "title", ngram: true }] });
    assert.deepEqual((made.columns as Array<{ name: string; count: number }>).map((c) => [c.name, c.count]), [["code", file.records], ["level", file.records], ["title", file.records]]);
    const bucket = await mf.getR2Bucket("ICEBERG_LOCAL");
    const bytes = new Uint8Array(await (await bucket.get(String(made.puffin).replace("r2://", "")))!.arrayBuffer());
    // The spec's layout, read here by hand: magic, blobs, magic, footer JSON, its size (int32 LE), flags, magic.
    const magic = (at: number) => Buffer.from(bytes.subarray(at, at + 4)).toString();
    assert.equal(magic(0), "PFA1");
    assert.equal(magic(bytes.length - 4), "PFA1");
    const size = new DataView(bytes.buffer).getInt32(bytes.length - 12, true);
    assert.equal(magic(bytes.length - 12 - size - 4), "PFA1");
    const footer = JSON.parse(Buffer.from(bytes.subarray(bytes.length - 12 - size, bytes.length - 12)).toString()) as { blobs: Array<{ type: string; fields: number[]; offset: number; length: number }> };
    assert.deepEqual(footer.blobs.map((b) => `${b.type}:${b.fields[0]}`), ["bloom-filter-v1:1", "set-index-v1:3", "ngram-bloom-filter-v1:2"]);
    const bloom = footer.blobs[0] as { offset: number; length: number };
    const read = readBloomFilter({ view: new DataView(bytes.buffer, bloom.offset, bloom.length), offset: 0 });
    const codes = naics.filter((r) => r.code?.startsWith("11")).map((r) => r.code as string);
    assert.ok(read && codes.every((c) => sbbfContains(read.blocks, xxhash64(new TextEncoder().encode(c)))), "every code of the file is in its bloom blob");
    const levels = JSON.parse(Buffer.from(bytes.subarray((footer.blobs[1] as { offset: number }).offset, (footer.blobs[1] as { offset: number }).offset + (footer.blobs[1] as { length: number }).length)).toString()) as string[];
    assert.deepEqual(levels, [...new Set(naics.filter((r) => r.code?.startsWith("11")).map((r) => r.level as string))].sort());
    assert.equal((await call("iceberg", "POST", "/iceberg/puffin/generate", { dataFile: "test-data.parquet", columns: ["id"] })).status, 404);
  });
});

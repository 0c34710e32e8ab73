import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parquetReadObjects } from "hyparquet";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// Parquet files in the bucket (deploy/src/features/parquet.ts) through miniflare, its local R2 the
// bucket: the generated sample read by row, id, row group and filter (pushed down to the row groups'
// statistics, or not), and a written file read back by every /parquet/r2 route and by hyparquet here.

let worker: WorkerUnderTest;
before(async () => (worker = await startWorkerMiniflare()));
after(() => worker?.dispose());

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return worker.mf.dispatchFetch(`https://iceberg.perf.do${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }) as unknown as Promise<Response>;
}
const ok = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> => {
  const r = await call(method, path, body);
  const text = await r.text();
  assert.ok(r.status < 300, `${method} ${path} → ${r.status} ${text}`);
  return JSON.parse(text) as T;
};

describe("reference Worker: Parquet files in the bucket", () => {
  it("reads the sample by row, id, offset and row group, projecting columns", async () => {
    assert.equal((await ok<{ row: { id: string } }>("GET", "/parquet/read?row=5")).row.id, "record-5");
    assert.equal((await ok<{ row: { value: number } }>("GET", "/parquet/read?id=record-4242")).row.value, 4242);
    const page = await ok<{ rows: Array<Record<string, unknown>>; total: number }>("GET", "/parquet/read?offset=10&limit=5&columns=id,value");
    assert.deepEqual(page.rows.map((r) => Object.keys(r).join()), Array(5).fill("id,value"));
    assert.equal(page.total, 10_000);
    const group = await ok<{ rows: Array<{ id: string }>; groups: number }>("GET", "/parquet/rowgroup?group=3&offset=2&limit=3");
    assert.deepEqual([group.groups, ...group.rows.map((r) => r.id)], [10, "record-3002", "record-3003", "record-3004"]);
    assert.equal((await call("GET", "/parquet/read?row=10000")).status, 400);
  });

  it("answers a filter the same with and without pushdown, reading only the row groups statistics allow", async () => {
    const pushed = await ok<{ count: number; rowGroups: { read: number; skipped: number } }>("GET", "/parquet/query?filter=value:2100..2150");
    assert.deepEqual([pushed.count, pushed.rowGroups.read, pushed.rowGroups.skipped], [51, 1, 9]);
    const all = await ok<{ count: number; rowGroups: { read: number } }>("GET", "/parquet/query?filter=value:2100..2150&pushdown=false");
    assert.deepEqual([all.count, all.rowGroups.read], [51, 10]);
    const both = await ok<{ count: number }>("GET", "/parquet/query?filter=category:category-1&filter=value:0..999");
    assert.equal(both.count, 100);
    assert.equal((await call("GET", "/parquet/query?filter=nope:1")).status, 400);
  });

  it("writes records that every /parquet/r2 route and hyparquet read back, and deletes only under parquet/ and benchmark/", async () => {
    const records = Array.from({ length: 2_500 }, (_, i) => ({ id: `r${i}`, amount: i * 2, tag: i % 2 ? "odd" : "even" }));
    const path = "benchmark/output/test.parquet";
    const written = await ok<{ bytes: number; rows: number }>("POST", "/parquet/r2/write", { records, path });
    assert.equal(written.rows, 2_500);
    assert.equal((await ok<{ size: number }>("GET", `/parquet/r2/head?path=${path}`)).size, written.bytes);
    const footer = await ok<{ rows: number; rowGroups: number; columns: Array<{ name: string }> }>("GET", `/parquet/r2/footer?path=${path}`);
    assert.deepEqual([footer.rows, footer.rowGroups, footer.columns.map((c) => c.name).join()], [2_500, 3, "id,amount,tag"]);
    const tail = await call("GET", `/parquet/r2/range?path=${path}&start=-8`);
    assert.equal(tail.status, 206);
    assert.equal(Buffer.from(await tail.arrayBuffer()).subarray(4).toString(), "PAR1", "a Parquet file ends with its magic");
    assert.deepEqual((await ok<{ rows: Array<{ id: string }> }>("GET", `/parquet/r2/rowgroup?path=${path}&group=2&limit=2`)).rows.map((r) => r.id), ["r2000", "r2001"]);
    assert.deepEqual((await ok<{ rows: Array<Record<string, unknown>> }>("GET", `/parquet/r2/columns?path=${path}&columns=tag&limit=2`)).rows, [{ tag: "even" }, { tag: "odd" }]);
    const streamed = await (await call("GET", `/parquet/r2/stream?path=${path}`)).arrayBuffer();
    const rows = (await parquetReadObjects({ file: streamed })) as Array<{ id: string; amount: number }>;
    assert.deepEqual(rows.map((r) => [r.id, Number(r.amount)]), records.map((r) => [r.id, r.amount]), "an independent read gives the records back");
    assert.ok((await ok<{ keys: string[] }>("GET", "/parquet/r2/list?prefix=benchmark/output/")).keys.includes(path));
    assert.equal((await ok<{ deleted: boolean }>("DELETE", `/parquet/r2/delete?path=${path}`)).deleted, true);
    assert.equal((await call("GET", `/parquet/r2/head?path=${path}`)).status, 404);
    assert.equal((await call("POST", "/parquet/r2/write", { records, path: "warehouse/naics/data/x.parquet" })).status, 400);
    assert.equal((await call("DELETE", "/parquet/r2/delete?path=warehouse/naics/metadata/version-hint.text")).status, 400);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TableReader } from "../../deploy/src/iceberg/read";
import type { ObjectStore } from "../../deploy/src/iceberg/store";
import { writeTable, type TableRow, type TableSpec } from "../../deploy/src/iceberg/table";

// An Iceberg commit as Iceberg makes one (deploy/src/iceberg/table.ts writeTable): the new version's
// data and metadata files first, the table's pointer (version-hint.text) last, the old version's
// files deleted only after the swap. Driven against an object store that fails where told, and read
// back by the Worker's own reader after each failure.

const SPEC: TableSpec = { columns: ["code", "title", "level", "parent"], key: "code", truncate: 2, rowGroupRows: 50 };
const rows = (n: number, tag: string): TableRow[] => Array.from({ length: n }, (_, i) => ({ code: `${10 + (i % 5)}${String(i).padStart(4, "0")}`, title: `${tag} ${i}`, level: "6", parent: null }));

/** A bucket in memory whose `put` fails for the keys `failOn` picks, when set. */
function memoryStore(): ObjectStore & { objects: Map<string, Uint8Array>; failOn?: (key: string) => boolean } {
  const objects = new Map<string, Uint8Array>();
  const store = {
    objects,
    failOn: undefined as ((key: string) => boolean) | undefined,
    async get(key: string, range?: { offset: number; length: number }) {
      const o = objects.get(key);
      if (!o) return null;
      const bytes = range ? o.slice(range.offset, range.offset + range.length) : o.slice();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
    async size(key: string) {
      return objects.get(key)?.byteLength ?? null;
    },
    async put(key: string, data: Uint8Array | ArrayBuffer | string) {
      if (store.failOn?.(key)) throw new Error(`put ${key}: the bucket failed (test)`);
      objects.set(key, typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data instanceof Uint8Array ? data : new Uint8Array(data)).slice());
    },
    async list(prefix: string) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
    async delete(keys: string[]) {
      for (const k of keys) objects.delete(k);
    },
  };
  return store;
}

/** Each row's key and title, in key order. */
const summary = (rs: TableRow[]): Array<{ code: unknown; title: unknown }> => rs.map((r) => ({ code: r.code, title: r.title })).sort((a, b) => String(a.code).localeCompare(String(b.code)));
/** The whole table, as the Worker's reader reads it from the bucket. */
const readAll = async (store: ObjectStore) => summary((await new TableReader(store, "naics").query("", "\uffff")).rows);

describe("an Iceberg commit", () => {
  it("replaces the table whole, keeps the previous version's files for readers that still hold it, and deletes older ones", async () => {
    const store = memoryStore();
    const first = await writeTable(store, "naics", SPEC, rows(120, "first"));
    assert.equal(first.version, 1);
    assert.deepEqual(await readAll(store), summary(rows(120, "first")));
    const v1 = await store.list("warehouse/");
    const stale = new TableReader(store, "naics"); // a reader in another object, holding version 1
    assert.equal((await stale.describe()).records, 120);
    const second = await writeTable(store, "naics", SPEC, rows(80, "second"));
    assert.equal(second.version, 2);
    assert.deepEqual(await readAll(store), summary(rows(80, "second")));
    assert.ok(v1.every((k) => k.endsWith("version-hint.text") || store.objects.has(k)), "version 1's files stay while version 2 is current");
    assert.equal((await stale.query("", "\uffff")).rows.length, 120, "a reader holding version 1 still reads it whole");
    await writeTable(store, "naics", SPEC, rows(40, "third"));
    assert.deepEqual(await readAll(store), summary(rows(40, "third")));
    assert.ok(v1.every((k) => k.endsWith("version-hint.text") || !store.objects.has(k)), "version 1's files are gone once version 3 is current");
  });

  /** Where a commit fails: a predicate on the key being put (the second new data file, the manifest list, …). */
  const failures: Array<[string, () => (key: string) => boolean]> = [
    ["writing a data file", () => { let n = 0; return (k) => k.includes("/data/") && ++n === 2; }],
    ["writing the manifest list", () => (k) => /\/snap-\d+/.test(k)],
    ["writing the new metadata", () => (k) => k.endsWith(".metadata.json")],
    ["moving the pointer", () => (k) => k.endsWith("version-hint.text")],
  ];
  for (const [where, failOn] of failures) {
    it(`that fails ${where} leaves the previous table readable, whole`, async () => {
      const store = memoryStore();
      await writeTable(store, "naics", SPEC, rows(120, "first"));
      store.failOn = failOn();
      await assert.rejects(writeTable(store, "naics", SPEC, rows(80, "second")), /the bucket failed/);
      assert.deepEqual(await readAll(store), summary(rows(120, "first")));
      store.failOn = undefined;
      // And the next commit succeeds, and removes what the failed one left.
      await writeTable(store, "naics", SPEC, rows(80, "second"));
      assert.deepEqual(await readAll(store), summary(rows(80, "second")));
      // Version 1's data files (kept as the previous version) and version 2's, one per partition; the failed commit's are gone.
      const partitions = (rs: TableRow[]) => new Set(rs.map((r) => String(r.code).slice(0, 2))).size;
      assert.equal((await store.list("warehouse/")).filter((k) => k.includes("/data/")).length, partitions(rows(120, "x")) + partitions(rows(80, "x")));
    });
  }

  it("that meets a value its column cannot hold fails before the pointer moves: the previous table stays", async () => {
    const store = memoryStore();
    await writeTable(store, "naics", SPEC, rows(120, "first"));
    const bad = rows(10, "bad");
    (bad[3] as Record<string, unknown>).title = 42;
    await assert.rejects(writeTable(store, "naics", SPEC, bad));
    assert.deepEqual(await readAll(store), summary(rows(120, "first")));
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { migrate, patternsOverlap, SCHEMA_TABLE, type Feature } from "../../deploy/src/feature";
import { FEATURES } from "../../deploy/src/features";
import { registrations, routeList, ROUTES_END, ROUTES_START, type Registration } from "../../deploy/src/route-list";
import { murmur3 } from "../../deploy/src/features/partition-router";
import { EVERY, inFamily, UNCLAIMED } from "../../deploy/src/namespaces";

// The reference Worker's feature list (deploy/src/features.ts): one module per feature, one list.

/** Whether some namespace gets both features' routes: not when each names only families the other does not. */
function shareANamespace(a: Feature, b: Feature): boolean {
  // EVERY meets everything; UNCLAIMED meets UNCLAIMED only, since a claimed family's names are claimed.
  if (a.serves.includes(EVERY) || b.serves.includes(EVERY)) return true;
  if (a.serves.includes(UNCLAIMED) && b.serves.includes(UNCLAIMED)) return true;
  return a.serves.some((x) => b.serves.some((y) => x !== UNCLAIMED && y !== UNCLAIMED && (inFamily(x, y) || inFamily(y, x))));
}

/** Paths two features both register (same method, patterns that match one path, some namespace served by both), undeclared or declared. */
function overlaps(features: readonly Feature[]): Array<{ a: Registration; b: Registration; declared: boolean }> {
  const regs = registrations(features);
  const byName = new Map(features.map((f) => [f.name, f]));
  const declares = (f: string, route: string, other: string) => (byName.get(f)?.shares ?? []).some((s) => s.route === route && s.with === other);
  const found: Array<{ a: Registration; b: Registration; declared: boolean }> = [];
  for (const [i, a] of regs.entries()) {
    for (const b of regs.slice(i + 1)) {
      if (a.feature === b.feature || (a.method !== b.method && a.method !== "ALL" && b.method !== "ALL") || !patternsOverlap(a.path, b.path)) continue;
      if (!shareANamespace(byName.get(a.feature) as Feature, byName.get(b.feature) as Feature)) continue; // web.'s and wiki.'s /ingest/batch never meet
      const declared = declares(a.feature, `${a.method} ${a.path}`, b.feature) || declares(b.feature, `${b.method} ${b.path}`, a.feature);
      found.push({ a, b, declared });
    }
  }
  return found;
}

describe("reference Worker: features", () => {
  it("deploy/README.md lists every route the features register (npm run deploy:routes writes it)", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "deploy", "README.md"), "utf8");
    const listed = readme.slice(readme.indexOf(ROUTES_START), readme.indexOf(ROUTES_END) + ROUTES_END.length);
    assert.equal(listed, routeList(FEATURES), "the route list is stale: run npm run deploy:routes");
  });

  it("names each feature once, and every feature a feature uses is in the list", () => {
    const names = FEATURES.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    for (const f of FEATURES) for (const used of f.uses ?? []) assert.ok(names.includes(used), `${f.name} uses ${used}, which is not a feature`);
  });

  it("every path two features register is declared shared, and every declaration is a real overlap", () => {
    const found = overlaps(FEATURES);
    const undeclared = found.filter((o) => !o.declared).map((o) => `${o.a.method} ${o.a.path} (${o.a.feature}) and ${o.b.method} ${o.b.path} (${o.b.feature})`);
    assert.deepEqual(undeclared, [], "declare each in a feature's `shares`, saying how the two tell requests apart");
    const real = new Set(found.flatMap((o) => [`${o.a.feature} ${o.a.method} ${o.a.path} ${o.b.feature}`, `${o.b.feature} ${o.b.method} ${o.b.path} ${o.a.feature}`]));
    for (const f of FEATURES) for (const s of f.shares ?? []) assert.ok(real.has(`${f.name} ${s.route} ${s.with}`), `${f.name} declares ${s.route} shared with ${s.with}, but ${s.with} registers no such path`);
    assert.ok(found.length >= 5, "the known shared paths (/write, /objects, /ping, /query, /things/:key) are found");
  });

  it("fails on a new feature that takes an existing path without declaring it", () => {
    const intruder: Feature = { name: "intruder", serves: ["*"], routes: (router) => void router.post("/write/:anything", () => undefined) };
    const undeclared = overlaps([...FEATURES, intruder]).filter((o) => !o.declared);
    assert.deepEqual(undeclared.map((o) => `${o.a.feature} ${o.b.feature}`).sort(), ["replicate intruder", "shard intruder"]);
  });

  it("tells route patterns that can match one path", () => {
    assert.equal(patternsOverlap("/things/:id", "/things/batch"), true);
    assert.equal(patternsOverlap("/things/:id", "/things"), false);
    assert.equal(patternsOverlap("/objects/:id/status", "/objects/shards/:shardKey"), true);
    assert.equal(patternsOverlap("/dlq/:id", "/events/:id"), false);
    assert.equal(patternsOverlap("*", "/anything"), true);
    assert.equal(patternsOverlap("/relationships/from/:id+", "/relationships/from/RandomNode/12"), true);
    assert.equal(patternsOverlap("/relationships/from/:id+", "/relationships/from/a"), true);
    assert.equal(patternsOverlap("/relationships/from/:id+", "/relationships/from"), false);
    assert.equal(patternsOverlap("/relationships/to/a/b", "/relationships/from/:id+"), false);
    assert.equal(patternsOverlap("/table:n", "/table0"), true);
    assert.equal(patternsOverlap("/table:n", "/table"), false, "the parameter takes one character or more");
    assert.equal(patternsOverlap("/table:n", "/tables/x"), false);
    assert.equal(patternsOverlap("/table:n", "/:p"), true);
  });
});

/** A SqlStorage stand-in for the schema registry's three statements and the migrations' own. */
function fakeSql(): { sql: SqlStorage; versions: Map<string, number>; ran: string[] } {
  const versions = new Map<string, number>();
  const ran: string[] = [];
  const cursor = (rows: unknown[]) => ({ toArray: () => rows, one: () => rows[0] });
  const sql = {
    exec(query: string, ...params: unknown[]) {
      if (query.startsWith(`CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE}`)) return cursor([]);
      if (query.startsWith(`SELECT version FROM ${SCHEMA_TABLE}`)) {
        const v = versions.get(params[0] as string);
        return cursor(v === undefined ? [] : [{ version: v }]);
      }
      if (query.startsWith(`INSERT INTO ${SCHEMA_TABLE}`)) {
        versions.set(params[0] as string, params[1] as number);
        return cursor([]);
      }
      ran.push(query);
      return cursor([]);
    },
  };
  return { sql: sql as unknown as SqlStorage, versions, ran };
}

const REPO = join(import.meta.dirname, "..", "..");

describe("reference Worker: declared input", () => {
  const sources = (dir: string): Array<[string, string]> =>
    readdirSync(join(REPO, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => [`${dir}/${f}`, readFileSync(join(REPO, dir, f), "utf8")]);
  const worker = sources("deploy/src");


  it("no route reads the query string itself: input.ts reads what a route declares (three routes take open-ended filters, bounded where they read them)", () => {
    const readers = worker.filter(([, text]) => text.includes("searchParams")).map(([file]) => file).sort();
    assert.deepEqual(readers, ["deploy/src/features/items.ts", "deploy/src/features/replicate.ts", "deploy/src/features/wikidata.ts", "deploy/src/input.ts"]);
  });

  it("no helper returns T | Response for its caller to check: replies are thrown (http.ts refuse)", () => {
    const checks = worker.flatMap(([file, text]) => text.split("\n").filter((line) => /instanceof Response\)\s*return/.test(line)).map((line) => `${file}: ${line.trim()}`));
    assert.ok(checks.length <= 2, checks.join("\n"));
  });

  it("declares every route's path parameters, typed or bounded by the router", () => {
    for (const r of registrations(FEATURES)) {
      const names = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      assert.deepEqual(Object.keys(r.input.params ?? {}).sort(), names.sort(), `${r.method} ${r.path}`);
    }
  });
});

describe("reference Worker: schema versions", () => {
  const v1 = (sql: SqlStorage) => void sql.exec("v1");
  const v2 = (sql: SqlStorage) => void sql.exec("v2");
  const run = <T>(fn: () => T): T => fn();

  it("creates a feature's tables at its version, once", () => {
    const { sql, versions, ran } = fakeSql();
    const f: Feature = { name: "f", serves: ["*"], schema: { migrations: [v1, v2] }, routes: () => {} };
    migrate(sql, run, f);
    migrate(sql, run, f);
    assert.deepEqual(ran, ["v1", "v2"]);
    assert.equal(versions.get("f"), 2);
  });

  it("migrates an object made by an older Worker forward, from its stored version", () => {
    const { sql, versions, ran } = fakeSql();
    migrate(sql, run, { name: "f", serves: ["*"], schema: { migrations: [v1] }, routes: () => {} });
    migrate(sql, run, { name: "f", serves: ["*"], schema: { migrations: [v1, v2] }, routes: () => {} });
    assert.deepEqual(ran, ["v1", "v2"], "v1 ran once, then only v2");
    assert.equal(versions.get("f"), 2);
  });

  it("refuses an object whose tables are newer than this Worker", () => {
    const { sql, versions } = fakeSql();
    versions.set("f", 3);
    assert.throws(() => migrate(sql, run, { name: "f", serves: ["*"], schema: { migrations: [v1, v2] }, routes: () => {} }), /feature f: stored schema version 3 is newer than this Worker's 2/);
  });

  it("leaves a feature without tables alone: no registry table either", () => {
    // Every statement counts here, the registry's own included: a feature without a schema makes none.
    const calls: string[] = [];
    const spy = { exec: (q: string) => (calls.push(q), { toArray: () => [], one: () => undefined }) } as unknown as SqlStorage;
    migrate(spy, run, { name: "network", serves: ["*"], routes: () => {} });
    assert.deepEqual(calls, []);
    migrate(spy, run, { name: "f", serves: ["*"], schema: { migrations: [v1] }, routes: () => {} });
    assert.ok(calls.length > 0, "the same spy sees a feature with a schema (the check can fail)");
  });
});

/** Every statement `run` sends to SQLite, recorded (results empty). */
function recorded(run: (sql: SqlStorage) => unknown): string[] {
  const calls: string[] = [];
  const spy = { exec: (q: string) => (calls.push(q), { toArray: () => [], one: () => ({ n: 0 }), rowsWritten: 0 }) } as unknown as SqlStorage;
  run(spy);
  return calls;
}

/** The tables a statement writes (INSERT INTO, UPDATE, DELETE FROM). */
const writes = (q: string): string[] => [...q.matchAll(/\b(?:INSERT(?: OR \w+)? INTO|UPDATE|DELETE FROM)\s+(\w+)/gi)].map((m) => m[1] as string);

describe("reference Worker: table ownership", () => {
  it("a feature's compact hook writes only the tables its own migrations create", () => {
    const hooks = FEATURES.filter((f) => f.compact);
    assert.ok(hooks.length >= 4, hooks.map((f) => f.name).join(", "));
    for (const feature of hooks) {
      const own = new Set(recorded((sql) => feature.schema?.migrations.forEach((m) => m(sql))).flatMap((q) => [...q.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)].map((m) => m[1] as string)));
      const touched = recorded((sql) => feature.compact?.(sql, { keepVersions: 10, keepEvents: 1000, now: 0 })).flatMap(writes);
      assert.ok(touched.length > 0, `${feature.name}: its hook writes something`);
      for (const table of touched) assert.ok(own.has(table), `${feature.name}'s compact hook writes ${table}, which another feature owns (its tables: ${[...own].join(", ")})`);
    }
  });
});

describe("reference Worker: partition hashing", () => {
  it("murmur3 is MurmurHash3 x86 32-bit (published test vectors)", () => {
    assert.equal(murmur3(""), 0);
    assert.equal(murmur3("hello"), 0x248bfa47);
    assert.equal(murmur3("hello, world"), 0x149bbb7f);
    assert.equal(murmur3("The quick brown fox jumps over the lazy dog"), 0x2e4ff723);
    assert.equal(murmur3("", 1), 0x514e28b7);
  });
});

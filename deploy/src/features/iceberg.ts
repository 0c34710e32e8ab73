import type { IRequest, RouterType } from "itty-router";
import { q, s as v, withBody, withInput, withQuery } from "../input";
import type { Schema } from "../schema";
import type { Feature, FeatureContext } from "../feature";
import { fail, HttpError, json, refuse } from "../http";
import { TableReader, type Pruning } from "../iceberg/read";
import { R2Error } from "../iceberg/store";
import { keyRange, matches, parseSelect, type Condition } from "../iceberg/sql";
import { tableRoot, writeTable, type TableRow, type TableSpec } from "../iceberg/table";
import { fnv1a } from "../shard-routing";
import { all, param } from "../sql";

// Iceberg tables on R2 (contract §10): `iceberg.` loads them (rows staged in its SQLite, then one
// commit writes Parquet data files and Iceberg metadata to the bucket, deploy/src/iceberg/table.ts)
// and answers lookups and scans with a pruning report; `naics.` and `unspsc.` answer their point
// lookups (`GET /naics/:code`, `GET /unspsc/:code`) from the NAICS and UNSPSC tables. Every object
// reads the bucket itself and keeps what it read in memory (read.ts): `?cold=true` drops that first.
// `?scatter=true` asks every shard object (`iceberg/shard-<i>`, each owning the partitions that
// hash to it) and gathers: each shard does its own lookup (reading the bucket unless it has the
// data) and answers the rows of the partitions it owns; without it only the owner is asked. A bucket
// that fails answers 502 naming R2, never "not found".

export const ICEBERG_TABLES: Record<string, TableSpec> = {
  // NAICS by sector (the code's first two digits), 50 rows a row group: its 2,193 rows in ~24 files.
  naics: { columns: ["code", "title", "level", "parent"], key: "code", truncate: 2, rowGroupRows: 50 },
  // UNSPSC by segment, 200 rows a row group: its 60,500 rows in ~55 files of ~6 row groups.
  unspsc: { columns: ["code", "title", "segment", "family", "class", "segment_title"], key: "code", truncate: 2, rowGroupRows: 200 },
  // Durable Objects' state exported to Iceberg: things and resources by namespace. Partitioned by the
  // whole namespace (truncate[64] of names at most 64 characters long is identity), so a query naming
  // one namespace reads that namespace's files only. Loaded by whoever stages rows.
  things: { columns: ["ns", "type", "id", "visibility", "created_at", "data"], key: "ns", truncate: 64, rowGroupRows: 500 },
  resources: { columns: ["ns", "id", "type", "name", "data"], key: "ns", truncate: 64, rowGroupRows: 500 },
};
/** Shards a scatter asks unless the request says how many (`?shards=`, at most MAX_SHARDS). */
export const ICEBERG_SHARDS = 4;
const MAX_SHARDS = 16;

const TableName = v.literal(...(Object.keys(ICEBERG_TABLES) as [string, ...string[]]));
const StageBody = v.object({ rows: v.array(v.record(), { min: 1, max: 5000 }) });
/** Rows staged for one table, at most: a commit reads them all into memory (UNSPSC, the largest, is 60,500). */
const MAX_STAGED = 100_000;
/** A row of `table` as staged: its columns only, each a string or null, the key a string that is not empty. */
const rowSchemas = new Map<string, Schema<unknown>>();
function checkStaged(table: string, rows: ReadonlyArray<Record<string, unknown>>, issues: string[]): void {
  const spec = ICEBERG_TABLES[table] as TableSpec;
  let row = rowSchemas.get(table);
  if (!row) rowSchemas.set(table, (row = v.object(Object.fromEntries(spec.columns.map((c) => [c, c === spec.key ? v.string({ min: 1, max: 1024 }) : v.optional(v.string())])))));
  rows.forEach((r, i) => {
    row.check(r, `rows[${i}]`, issues);
    for (const k of Object.keys(r)) if (!spec.columns.includes(k)) issues.push(`rows[${i}].${k}: not a column of ${table} (${spec.columns.join(", ")})`);
  });
}
const QueryBody = v.object({
  sql: v.string({ min: 1 }),
  params: v.optional(v.array(v.union(v.string(), v.number(), "a string or a number"), { max: 100 })),
  cold: v.optional(v.boolean()),
  // metadataCache: "bypass" is `cold`: the table's metadata (and data) read from the bucket again.
  metadataCache: v.optional(v.literal("use", "bypass")),
  // scatter=partial: the shards to ask.
  shards: v.optional(v.array(v.number({ integer: true, min: 0, max: MAX_SHARDS - 1 }), { min: 1, max: MAX_SHARDS })),
  // How shards' answers combine: rows are gathered; a COUNT(*) is summed either way.
  aggregate: v.optional(v.literal("sum", "gather")),
});
/** Names a query may use for a table: its own, and the datasets' table it holds (`industries` is NAICS). */
const TABLE_NAMES: Record<string, string> = { naics: "naics", industries: "naics", unspsc: "unspsc", commodities: "unspsc", things: "things", resources: "resources" };
const ScanBody = v.object({ min: v.string(), max: v.string(), cold: v.optional(v.boolean()) });
const Where = v.array(v.object({ column: v.string(), op: v.literal("=", "<", "<=", ">", ">=", "in"), value: v.string(), values: v.optional(v.array(v.string(), { max: 100 })) }), { max: 50 });
const LookupPayload = v.object({
  table: TableName, min: v.string(), max: v.string(), cold: v.optional(v.boolean()),
  shard: v.optional(v.number({ integer: true, min: 0 })), shards: v.optional(v.number({ integer: true, min: 1, max: MAX_SHARDS })),
  where: v.optional(Where), countOnly: v.optional(v.boolean()),
});

/**
 * A staged row is staged once: loaders that stage the same rows at once (k6 instances of one run,
 * each loading the table) leave one copy, so the stage's bound counts distinct rows and a commit
 * writes no duplicates.
 */
function stageOnce(sql: SqlStorage): void {
  sql.exec("DELETE FROM ice_stage WHERE seq NOT IN (SELECT MIN(seq) FROM ice_stage GROUP BY tbl, row)");
  sql.exec("CREATE UNIQUE INDEX IF NOT EXISTS ice_stage_row ON ice_stage (tbl, row)");
}

function migrateIceberg(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS ice_stage (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row TEXT NOT NULL)");
}

/** The shard that owns a partition value, of `shards`. */
const shardOf = (partition: string, shards = ICEBERG_SHARDS): number => fnv1a(partition) % shards;
/** The object shard `i` of `shards` is: the default four keep their names. */
const shardObject = (ns: string, i: number, shards: number): string => (shards === ICEBERG_SHARDS ? `${ns}/shard-${i}` : `${ns}/shard-${i}-of-${shards}`);

const NO_BUCKET = "no R2 bucket is bound (ICEBERG): Iceberg tables need one";
// Per object (its context): one reader per table, with what it has read. Module state is shared by
// every object in an isolate, so the caches hang off the object's own context.
const readersOf = new WeakMap<FeatureContext, Map<string, TableReader>>();
function readerFor(ctx: FeatureContext, table: string): TableReader | null {
  if (!ctx.store) return null;
  const readers = readersOf.get(ctx) ?? (readersOf.set(ctx, new Map()), readersOf.get(ctx) as Map<string, TableReader>);
  return readers.get(table) ?? (readers.set(table, new TableReader(ctx.store, table)), readers.get(table) as TableReader);
}

/**
 * The shard side of a lookup: every shard asked does the lookup itself (its own reads of the
 * bucket, its own caches), and answers the rows of the partitions it owns, so a scatter costs what
 * asking every shard costs and gathers each row once.
 */
interface ShardAnswer { rows: TableRow[]; count: number; pruning: Pruning | null }
async function shardLookup(ctx: FeatureContext, p: { table: string; min: string; max: string; cold?: boolean; shard?: number; shards?: number; where?: Condition[]; countOnly?: boolean }): Promise<ShardAnswer> {
  const spec = ICEBERG_TABLES[p.table] as TableSpec;
  const r = readerFor(ctx, p.table);
  if (!r) throw new Error(NO_BUCKET);
  const { rows, report } = await r.query(p.min, p.max, { cold: p.cold, pruning: ctx.fault !== "iceberg-no-pruning" });
  const mine = rows.filter((row) => shardOf(String(row[spec.key] ?? "").slice(0, spec.truncate), p.shards) === p.shard && matches(row, p.where ?? []));
  return { rows: p.countOnly ? [] : mine, count: mine.length, pruning: report };
}

/** A failed read: the bucket's failure is a 502 that names R2; anything else is the table's absence. */
const failed = (table: string, err: unknown): [number, string] => {
  const message = (err as Error).message;
  // Through an RPC to a shard the error arrives as a plain Error whose message keeps "R2: ".
  return err instanceof R2Error || /\bR2: /.test(message) ? [502, `table ${table}: ${message.replace(/^R2Error: /, "")}`] : [404, `table ${table}: ${message}`];
};
const failure = (table: string, err: unknown): Response => fail(...failed(table, err));

function icebergRoutes(router: RouterType, ctx: FeatureContext): void {
  const reader = (table: string): TableReader => readerFor(ctx, table) ?? refuse(503, NO_BUCKET);

  // Fault switch (local only): read every file and row group, as an engine without pruning would.
  const pruning = () => ctx.fault !== "iceberg-no-pruning";
  const query = async (table: string, min: string, max: string, cold: boolean): Promise<{ rows: TableRow[]; pruning: Pruning }> => {
    const r = reader(table);
    try {
      const { rows, report } = await r.query(min, max, { cold, pruning: pruning() });
      return { rows, pruning: report };
    } catch (err) {
      throw new HttpError(...failed(table, err));
    }
  };

  // ---- loading (iceberg.) --------------------------------------------------------------------------
  // Rows are checked against the table's columns as they are staged (every column is a string, the
  // key required), so a commit never meets a value its Parquet column cannot hold.
  // `:table`: one of the tables ICEBERG_TABLES declares (a 400 naming them otherwise).
  const Table = { table: TableName };
  router.post("/iceberg/tables/:table/stage", withInput({ params: Table, body: StageBody }, ({ params: { table }, body: { rows } }) => {
    const issues: string[] = [];
    checkStaged(table, rows, issues);
    if (issues.length > 0) return fail(400, `POST /iceberg/tables/${table}/stage: ${issues.slice(0, 5).join("; ")}`);
    const staged = ctx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ice_stage WHERE tbl = ?", table).one().n;
    if (staged + rows.length > MAX_STAGED) return fail(413, `POST /iceberg/tables/${table}/stage: ${staged} rows are staged; a commit takes at most ${MAX_STAGED}`);
    ctx.transaction(() => rows.forEach((row) => ctx.sql.exec("INSERT OR IGNORE INTO ice_stage (tbl, row) VALUES (?, ?)", table, JSON.stringify(row))));
    return json({ table, staged: ctx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ice_stage WHERE tbl = ?", table).one().n });
  }));
  // The commit writes the new table beside the old one and swaps the pointer last (writeTable), so a
  // commit that fails leaves the previous table readable and the stage as it was.
  // Commits run one at a time in this object: each reads the stage and the table's version when its
  // turn comes (two interleaved at their awaits both wrote version 1 and deleted each other's files).
  let commits: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = commits.then(work);
    commits = turn.catch(() => undefined);
    return turn;
  };
  router.post("/iceberg/tables/:table/commit", withInput({ params: Table }, ({ params: { table } }) => oneAtATime(async () => {
    if (!ctx.store) return fail(503, NO_BUCKET);
    const staged = all<{ seq: number; row: string }>(ctx.sql, "SELECT seq, row FROM ice_stage WHERE tbl = ? ORDER BY seq", table);
    const rows = staged.map((r) => JSON.parse(r.row) as TableRow);
    if (rows.length === 0) return fail(409, `nothing staged for ${table}`);
    // What this commit read, and no more: rows staged while it writes wait for the next commit.
    const last = (staged[staged.length - 1] as { seq: number }).seq;
    let written;
    try {
      written = await writeTable(ctx.store, table, ICEBERG_TABLES[table] as TableSpec, rows);
    } catch (err) {
      if (err instanceof R2Error) return fail(502, `table ${table}: ${err.message}`);
      throw err;
    }
    ctx.sql.exec("DELETE FROM ice_stage WHERE tbl = ? AND seq <= ?", table, last);
    readersOf.get(ctx)?.delete(table);
    return json({ table, location: tableRoot(table), ...written }, 201);
  })));
  router.get("/iceberg/tables/:table", withInput({ params: Table }, async ({ params: { table } }) => {
    const r = reader(table);
    try {
      return json(await r.describe());
    } catch (err) {
      return failure(table, err);
    }
  }));

  // ---- queries ---------------------------------------------------------------------------------------
  const Cold = v.optional(q.bool());
  router.get("/iceberg/tables/:table/lookup", withInput({ params: Table, query: { key: q.string({ min: 1, max: 1024 }), cold: Cold, scatter: v.optional(q.bool()) } }, async ({ params: { table }, query: { key, cold: coldParam, scatter: scatterParam } }) => {
    const cold = coldParam === true;
    const scatter = scatterParam === undefined ? null : String(scatterParam);
    if (scatter === null) {
      const out = await query(table, key, key, cold);
      return json({ table, key, row: out.rows[0] ?? null, found: out.rows.length > 0, pruning: out.pruning });
    }
    // Across shards: every shard (scatter) or the one owning the key's partition (targeted).
    const spec = ICEBERG_TABLES[table] as TableSpec;
    const owner = shardOf(key.slice(0, spec.truncate));
    const shards = scatter === "true" ? Array.from({ length: ICEBERG_SHARDS }, (_, i) => i) : [owner];
    const started = performance.now();
    let parts: ShardAnswer[];
    try {
      parts = await Promise.all(shards.map((i) => ctx.peer(shardObject(ctx.namespace(), i, ICEBERG_SHARDS)).call<ShardAnswer>("iceberg", "lookup", { table, min: key, max: key, cold, shard: i })));
    } catch (err) {
      return failure(table, err);
    }
    const rows = parts.flatMap((p) => p.rows);
    return json({ table, key, row: rows[0] ?? null, found: rows.length > 0, scatter: scatter === "true", shardsQueried: shards.length, ownerShard: owner, gatherMs: performance.now() - started, pruning: parts.map((p) => p.pruning) });
  }));
  router.post("/iceberg/tables/:table/scan", withInput({ params: Table, body: ScanBody }, async ({ params: { table }, body: { min, max, cold } }) => {
    const out = await query(table, min, max, cold === true);
    return json({ table, min, max, rows: out.rows, count: out.rows.length, pruning: out.pruning });
  }));
  // SQL over the tables (./iceberg/sql.ts: one SELECT, comparisons joined by AND, parameters only);
  // conditions on the key prune files and row groups as a scan does, the others filter what is read.
  // Across shards (each shard object reads the bucket itself and answers the rows of the partitions
  // that hash to it): `?shard=i` asks one, `?shardKey=k` the owner of k's partition, `?scatter=true`
  // all (`&shards=n`, default 4), `?scatter=partial` those in the body's `shards`, `?scatter=range`
  // those owning a partition the key range holds. A COUNT(*) is counted on each shard and summed.
  const ShardQuery = {
    scatter: v.optional(q.oneOf("true", "partial", "range")),
    shard: v.optional(q.int({ min: 0, max: MAX_SHARDS - 1 })),
    shardKey: v.optional(q.string({ max: 1024 })),
    shards: v.optional(q.int({ min: 1, max: MAX_SHARDS })),
  };
  router.post("/iceberg/query", withInput({ body: QueryBody, query: ShardQuery }, async ({ body: { sql, params, cold, metadataCache, shards: listed }, query: { scatter, shard: shardParam, shardKey, shards } }) => {
    const route = "POST /iceberg/query";
    const q = parseSelect(sql, params ?? []);
    if (typeof q === "string") return fail(400, `${route}: ${q}`);
    const table = TABLE_NAMES[q.table.toLowerCase()];
    if (!table) return fail(404, `no Iceberg table ${q.table} (tables: ${Object.entries(TABLE_NAMES).map(([k, t]) => (k === t ? k : `${k} (${t})`)).join(", ")})`);
    const spec = ICEBERG_TABLES[table] as TableSpec;
    const unknown = [...(q.columns === "*" ? [] : q.columns), ...q.where.map((c) => c.column)].find((c) => !spec.columns.includes(c));
    if (unknown) return fail(400, `${route}: ${table} has no column ${unknown} (${spec.columns.join(", ")})`);
    const range = keyRange(q.where, spec.key);
    const isCold = cold === true || metadataCache === "bypass";
    const project = (rows: TableRow[]) => {
      const limited = rows.slice(0, q.limit ?? 1000);
      const columns = q.columns;
      return columns === "*" ? limited : limited.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
    };
    const answer = (rows: TableRow[], count: number, extra: Record<string, unknown>) =>
      json(q.count ? { table, rows: [{ [q.count]: count }], count: 1, ...extra } : { table, rows: project(rows), count: Math.min(rows.length, q.limit ?? 1000), ...extra });

    if (scatter === undefined && shardParam === undefined && shardKey === undefined) {
      if (range.min > range.max) return answer([], 0, { pruning: null });
      const out = await query(table, range.min, range.max, isCold);
      const rows = out.rows.filter((r) => matches(r, q.where));
      return answer(rows, rows.length, { pruning: out.pruning });
    }
    const n = shards ?? ICEBERG_SHARDS;
    let asked: number[];
    if (shardParam !== undefined) {
      const i = shardParam;
      if (i >= n) return fail(400, `${route}: shard ${i} is not one of the ${n} shards (0-${n - 1}; ?shards= sets how many)`);
      asked = [i];
    } else if (shardKey !== undefined) {
      asked = [shardOf(shardKey.slice(0, spec.truncate), n)];
    } else if (scatter === "true") {
      asked = Array.from({ length: n }, (_, i) => i);
    } else if (scatter === "partial") {
      if (!listed) return fail(400, `${route}: scatter=partial needs the body's shards: [i, …]`);
      const bad = listed.find((i) => i >= n);
      if (bad !== undefined) return fail(400, `${route}: shard ${bad} is not one of the ${n} shards`);
      asked = [...new Set(listed)];
    } else if (scatter === "range") {
      const r = reader(table);
      let partitions: Array<string | null>;
      try {
        partitions = await r.partitions();
      } catch (err) {
        return failure(table, err);
      }
      const [lo, hi] = [range.min.slice(0, spec.truncate), range.max.slice(0, spec.truncate)];
      asked = [...new Set(partitions.filter((p) => p === null || (p >= lo && p <= hi)).map((p) => shardOf(p ?? "", n)))].sort((a, b) => a - b);
    } else {
      return fail(400, `${route}: query.scatter: expected one of "true", "partial", "range"`);
    }
    const started = performance.now();
    let parts: ShardAnswer[];
    try {
      parts = range.min > range.max ? [] : await Promise.all(asked.map((i) => ctx.peer(shardObject(ctx.namespace(), i, n)).call<ShardAnswer>("iceberg", "lookup", { table, min: range.min, max: range.max, cold: isCold, shard: i, shards: n, where: q.where, countOnly: q.count !== null })));
    } catch (err) {
      return failure(table, err);
    }
    const rows = parts.flatMap((p) => p.rows);
    return answer(rows, parts.reduce((s, p) => s + p.count, 0), {
      shards: n,
      shardsQueried: asked.length,
      ...(asked.length === 1 ? { shard: asked[0] } : {}),
      perShard: parts.map((p, k) => ({ shard: asked[k], count: p.count, pruning: p.pruning })),
      gatherMs: performance.now() - started,
    });
  }));
  router.post("/iceberg/caches/drop", () => {
    const readers = readersOf.get(ctx) ?? new Map<string, TableReader>();
    for (const r of readers.values()) r.dropCaches();
    return json({ dropped: readers.size });
  });

  // ---- naics. and unspsc.: their point lookups read the Iceberg tables ---------------------------------
  const pointLookup = (table: string) => withQuery({ cold: Cold }, async ({ cold }, request) => {
    const code = param(request, "code");
    const out = await query(table, code, code, cold === true);
    return out.rows[0] ? json({ row: out.rows[0], pruning: out.pruning }) : fail(404, `no ${table.toUpperCase()} code ${code}`);
  });
  router.get("/naics/:code", pointLookup("naics"));
  router.get("/unspsc/:code", pointLookup("unspsc"));

}

export const iceberg: Feature = {
  name: "iceberg",
  // iceberg. loads and queries; naics./unspsc. answer their lookups; metadata., resources., sharded.
  // and tenant. query too (the suite asks them), each with shard objects of its own.
  serves: ["iceberg", "naics", "unspsc", "metadata", "resources", "sharded", "tenant"],
  schema: { migrations: [migrateIceberg, stageOnce] },
  routes: icebergRoutes,
  rpc: {
    lookup: (ctx, payload: unknown) => {
      const issues: string[] = [];
      LookupPayload.check(payload, "", issues);
      if (issues.length > 0) throw new Error(`iceberg.lookup: ${issues.join("; ")}`);
      return shardLookup(ctx, payload as { table: string; min: string; max: string; cold?: boolean; shard?: number });
    },
  },
};

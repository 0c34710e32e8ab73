import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { fnv1a } from "../shard-routing";
import { changed, all, first, parseJson, type Row } from "../sql";

// cache.perf.do (contract §6): a key/value cache with a TTL per entry, dependencies between entries
// (invalidating one invalidates every entry that depends on it, transitively), and compare-and-swap
// on an etag. `ttl` is in milliseconds; an expired entry is a miss and is dropped when next seen.
// A miss is `200 {hit: false}`, not a 404: the contract's clients count every non-2xx as an error.

interface EntryRow extends Row {
  key: string;
  value: string;
  etag: string;
  version: number;
  expires_at: number | null;
}

function migrateCache(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS cache_entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, etag TEXT NOT NULL, version INTEGER NOT NULL, expires_at INTEGER)");
  // parent → dependent: invalidating `parent` invalidates `key`.
  sql.exec("CREATE TABLE IF NOT EXISTS cache_deps (parent TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (parent, key))");
  sql.exec("CREATE INDEX IF NOT EXISTS cache_deps_key ON cache_deps (key)");
}

/** A strong etag from the entry's version and content: equal etags mean the same write. */
const etagOf = (version: number, text: string): string => `"${version.toString(36)}-${fnv1a(text).toString(36)}"`;

function live(sql: SqlStorage, key: string, at = Date.now()): EntryRow | undefined {
  const row = first<EntryRow>(sql, "SELECT * FROM cache_entries WHERE key = ?", key);
  if (row && row.expires_at !== null && row.expires_at <= at) {
    sql.exec("DELETE FROM cache_entries WHERE key = ?", key);
    return undefined;
  }
  return row;
}

function put(sql: SqlStorage, key: string, value: unknown, ttl: number | null, previous: EntryRow | undefined): EntryRow {
  const text = JSON.stringify(value ?? null);
  const version = (previous?.version ?? 0) + 1;
  const row: EntryRow = { key, value: text, etag: etagOf(version, text), version, expires_at: ttl === null ? null : Date.now() + ttl };
  sql.exec(
    "INSERT INTO cache_entries (key, value, etag, version, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = excluded.etag, version = excluded.version, expires_at = excluded.expires_at",
    key, text, row.etag, version, row.expires_at,
  );
  return row;
}

const view = (r: EntryRow) => ({ key: r.key, value: parseJson(r.value), etag: r.etag, expiresAt: r.expires_at ?? undefined });

/** The key and every entry depending on it, transitively (each once, cycles included). */
function cascade(sql: SqlStorage, key: string, shallow: boolean): string[] {
  const seen = new Set([key]);
  const queue = [key];
  while (queue.length > 0 && !shallow) {
    const parent = queue.shift() as string;
    for (const { key: dependent } of all<{ key: string }>(sql, "SELECT key FROM cache_deps WHERE parent = ?", parent)) {
      if (seen.has(dependent)) continue;
      seen.add(dependent);
      queue.push(dependent);
    }
  }
  return [...seen];
}

const SetBody = s.object({
  key: s.string({ min: 1 }),
  value: s.value(),
  /** Milliseconds; none (or null) keeps the entry until it is invalidated. */
  ttl: s.optional(s.number({ positive: true })),
  dependencies: s.optional(s.array(s.string())),
});
const KeyBody = s.object({ key: s.string() });
const CasBody = s.object({ key: s.string(), value: s.value(), expectedEtag: s.string(), ttl: s.optional(s.number()) });

function cacheRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/cache/set", withBody(SetBody, (body) => {
    const ttl = body.ttl ?? null;
    const deps = body.dependencies ?? [];
    const key = body.key;
    const row = ctx.transaction(() => {
      const written = put(sql, key, body.value, ttl, live(sql, key));
      sql.exec("DELETE FROM cache_deps WHERE key = ?", key);
      for (const parent of deps) sql.exec("INSERT OR IGNORE INTO cache_deps (parent, key) VALUES (?, ?)", parent, key);
      return written;
    });
    return json({ ...view(row), value: undefined, dependencies: deps }, 201);
  }));
  router.get("/cache/get", withQuery({ key: q.string({ min: 1, max: 1024 }) }, ({ key }) => {
    const row = live(sql, key);
    return json(row ? { ...view(row), hit: true } : { key, value: null, hit: false });
  }));
  router.post("/cache/invalidate-cascade", withBody(KeyBody, ({ key }) => {
    // Fault switch (local only): invalidate the key alone, as a cache without dependency tracking would.
    const keys = cascade(sql, key, ctx.fault === "cache-shallow-invalidate");
    const removed = ctx.transaction(() => {
      let n = 0;
      for (const k of keys) {
        n += changed(sql, "DELETE FROM cache_entries WHERE key = ?", k);
        sql.exec("DELETE FROM cache_deps WHERE key = ?", k);
      }
      return n;
    });
    return json({ key, invalidated: keys, count: removed });
  }));
  router.post("/cache/cas", withBody(CasBody, (body) => {
    const key = body.key;
    const ttl = body.ttl !== undefined && body.ttl > 0 ? body.ttl : null;
    return json(
      ctx.transaction(() => {
        const current = live(sql, key);
        // A lost race is an answer, not an error: `success: false` with the etag that won.
        if (!current || current.etag !== body.expectedEtag) return { key, success: false, etag: current?.etag ?? null };
        return { key, success: true, etag: put(sql, key, body.value, ttl, current).etag };
      }),
    );
  }));
  router.post("/cache/clear", () => json({ cleared: ctx.transaction(() => (sql.exec("DELETE FROM cache_deps"), changed(sql, "DELETE FROM cache_entries"))) }));
  router.get("/cache/stats", () => {
    const at = Date.now();
    const n = (q: string, ...p: SqlStorageValue[]) => first<{ n: number }>(sql, q, ...p)?.n ?? 0;
    return json({ entries: n("SELECT COUNT(*) AS n FROM cache_entries WHERE expires_at IS NULL OR expires_at > ?", at), dependencies: n("SELECT COUNT(*) AS n FROM cache_deps") });
  });
}

export const cache: Feature = {
  name: "cache",
  serves: ["cache"],
  schema: { migrations: [migrateCache] },
  routes: cacheRoutes,
};

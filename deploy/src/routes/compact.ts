import type { RouterType } from "itty-router";
import { isObject, json, readJson } from "../http";
import { emit } from "./lifecycle";
import type { Feature } from "../feature";

// POST /compact (contract §3; no client tests it): storage shrinks, data is kept. What goes is what
// the object keeps beyond its data: snapshots and checkpoints of finished clone jobs, spent or
// expired tokens, thing versions beyond the newest `keepVersions`, and lifecycle events beyond the
// newest `keepEvents`. Durable Object SQLite frees deleted pages itself (VACUUM is not allowed),
// so `databaseSize` before and after shows the effect.

const EMPTY_SNAPSHOT = JSON.stringify({ state: [], records: [], counter: 0 });

export function compactRoutes(router: RouterType, sql: SqlStorage, transaction: <T>(fn: () => T) => T): void {
  router.post("/compact", async (request) => {
    const body = await readJson(request);
    const opts = isObject(body) ? body : {};
    const keepVersions = typeof opts.keepVersions === "number" && opts.keepVersions >= 1 ? Math.trunc(opts.keepVersions) : 10;
    const keepEvents = typeof opts.keepEvents === "number" && opts.keepEvents >= 0 ? Math.trunc(opts.keepEvents) : 1000;
    const before = sql.databaseSize;
    const removed = transaction(() => ({
      jobSnapshots: sql.exec("UPDATE clone_jobs SET snapshot = ? WHERE status IN ('completed', 'cancelled', 'failed') AND snapshot != ?", EMPTY_SNAPSHOT, EMPTY_SNAPSHOT).rowsWritten,
      checkpoints: sql.exec("DELETE FROM clone_checkpoints WHERE job_id IN (SELECT id FROM clone_jobs WHERE status IN ('completed', 'cancelled', 'failed'))").rowsWritten,
      cloneTokens: sql.exec("DELETE FROM clone_tokens WHERE status != 'pending' OR expires_at < ?", Date.now()).rowsWritten,
      entityTokens: sql.exec("DELETE FROM entity_tokens WHERE status != 'pending' OR expires_at < ?", Date.now()).rowsWritten,
      thingVersions: sql.exec(
        `DELETE FROM thing_versions WHERE version <= (SELECT MAX(v.version) FROM thing_versions v WHERE v.id = thing_versions.id) - ?`,
        keepVersions,
      ).rowsWritten,
      lifecycleEvents: sql.exec("DELETE FROM lifecycle_events WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM lifecycle_events) - ?", keepEvents).rowsWritten,
    }));
    const after = sql.databaseSize;
    emit(sql, "compact.completed", { before, after, removed });
    return json({ compacted: true, before, after, reclaimed: before - after, removed });
  });
}

export const compact: Feature = {
  name: "compact",
  // What it prunes belongs to these features.
  uses: ["lifecycle", "copy", "promote", "things"],
  routes: (router, ctx) => compactRoutes(router, ctx.sql, ctx.transaction),
};

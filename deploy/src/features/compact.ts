import type { RouterType } from "itty-router";
import { s, withBody } from "../input";
import { json } from "../http";
import { emit } from "./lifecycle";
import type { Feature, FeatureContext } from "../feature";
import { EVERY } from "../namespaces";

// POST /compact (contract §3; no client tests it): storage shrinks, data is kept. What goes is what
// the object keeps beyond its data, and each feature says what that is for its own tables through
// its `compact` hook (copy: finished clone jobs' snapshots and checkpoints, spent tokens; promote:
// spent entity tokens; things: versions beyond the newest `keepVersions`; lifecycle: events beyond
// the newest `keepEvents`). This route only asks them, in one transaction. Durable Object SQLite
// frees deleted pages itself (VACUUM is not allowed), so `databaseSize` before and after shows it.

const CompactBody = s.object({ keepVersions: s.optional(s.number({ integer: true, min: 1 })), keepEvents: s.optional(s.number({ integer: true, min: 0 })) });

export function compactRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/compact", withBody(CompactBody, (body) => {
    const keep = { keepVersions: body.keepVersions ?? 10, keepEvents: body.keepEvents ?? 1000, now: Date.now() };
    const before = sql.databaseSize;
    const removed = ctx.transaction(() => Object.assign({}, ...ctx.owners("compact").map((f) => f.compact?.(sql, keep) ?? {})) as Record<string, number>);
    const after = sql.databaseSize;
    emit(sql, "compact.completed", { before, after, removed });
    return json({ compacted: true, before, after, reclaimed: before - after, removed });
  }));
}

export const compact: Feature = {
  name: "compact",
  serves: [EVERY],
  uses: ["lifecycle"], // its own event goes to the lifecycle log
  routes: compactRoutes,
};

import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { s as v, withBody } from "../input";
import { fail, json } from "../http";
import { EVERY } from "../namespaces";

// Cold start by database size (contract §9), local target only: hooks the harness uses to prepare
// a sample without timing it. `POST /db/fill {bytes}` grows this object's SQLite database to about
// that size (64 KB random blobs, written by SQLite itself, not sent over HTTP); `POST /object/reset`
// answers and then resets the object, so the next request builds a new instance on the stored
// database: a cold start of exactly that size; `POST /object/destroy` deletes the object's storage.
// A real deployment answers 404: these change or destroy state no client should be able to.

const CHUNK = 64 * 1024;
const MAX_BYTES = 512 * 1024 * 1024;

function migrateColdstart(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS cold_filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
}

const FillBody = v.object({ bytes: v.number({ min: 0, max: MAX_BYTES }) });

function coldstartRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const localOnly = (): Response | null => (ctx.local ? null : fail(404, "cold-start hooks exist on the local target only"));
  // Refused before its body is read: a deployment has no such hook, whatever is sent.
  const fill = withBody(FillBody, ({ bytes }) => {
    const chunks = Math.ceil(Math.max(0, bytes - sql.databaseSize) / CHUNK);
    // Batches of 64 chunks (4 MB) per statement, each its own transaction: no single write is huge.
    for (let done = 0; done < chunks; done += 64) {
      const n = Math.min(64, chunks - done);
      sql.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) INSERT INTO cold_filler (data) SELECT randomblob(?) FROM c", n, CHUNK);
    }
    return json({ databaseSize: sql.databaseSize, chunks });
  });
  router.post("/db/fill", (request) => localOnly() ?? fill(request));
  router.get("/db/size", () => json({ databaseSize: sql.databaseSize }));
  // Reads every stored byte: the cost of a first query that touches the whole database. (length()
  // alone reads only each row's header; the last byte of a blob is at the end of its overflow chain.)
  router.get("/db/stats", () =>
    json({ databaseSize: sql.databaseSize, ...sql.exec<{ rows: number; bytes: number; read: number }>("SELECT COUNT(*) AS rows, COALESCE(SUM(length(data)), 0) AS bytes, COALESCE(SUM(length(substr(data, -1))), 0) AS read FROM cold_filler").one() }),
  );
  router.post("/object/reset", () => {
    const refused = localOnly();
    if (refused) return refused;
    ctx.resetSoon();
    return json({ reset: true, databaseSize: sql.databaseSize });
  });
  router.post("/object/destroy", async () => {
    const refused = localOnly();
    if (refused) return refused;
    await ctx.deleteAll();
    ctx.resetSoon();
    return json({ destroyed: true });
  });
}

export const coldstart: Feature = {
  name: "coldstart",
  serves: [EVERY],
  schema: { migrations: [migrateColdstart] },
  routes: coldstartRoutes,
};

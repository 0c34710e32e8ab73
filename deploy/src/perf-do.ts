import { DurableObject } from "cloudflare:workers";
import { Router, type RouterType } from "itty-router";
import { fail } from "./http";
import { networkRoutes } from "./routes/network";
import { migrateThings, thingsRoutes } from "./routes/things";
import type { Env } from "./env";

export const NAMESPACE_HEADER = "x-perfdo-namespace";

/**
 * One object per namespace (`fork.perf.do` → the object named `fork`), SQLite-backed, so every
 * namespace has its own isolated state exactly as on the platform.
 */
export class PerfDO extends DurableObject<Env> {
  private readonly router: RouterType;
  private namespace = "";

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    migrateThings(sql);
    const transaction = <T>(fn: () => T): T => ctx.storage.transactionSync(fn);
    this.router = Router();
    networkRoutes(this.router, () => this.namespace);
    thingsRoutes(this.router, sql, transaction);
    this.router.all("*", (request) => fail(404, `no route ${request.method} ${new URL(request.url).pathname} on ${this.namespace}`));
  }

  override async fetch(request: Request): Promise<Response> {
    this.namespace = request.headers.get(NAMESPACE_HEADER) ?? this.namespace;
    try {
      return (await this.router.fetch(request)) as Response;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return fail(500, `internal error: ${message}`);
    }
  }
}

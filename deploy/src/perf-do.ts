import { DurableObject } from "cloudflare:workers";
import { Router, type RouterType } from "itty-router";
import { fail } from "./http";
import { actionRoutes, migrateActions } from "./routes/actions";
import { compactRoutes } from "./routes/compact";
import { advanceCloneJobs, copyRoutes, migrateCopy, type CopyContext } from "./routes/copy";
import { lifecycleRoutes, migrateLifecycle } from "./routes/lifecycle";
import { historyOf, migratePromote, promoteRoutes } from "./routes/promote";
import { migrateReplicate, replicateRoutes } from "./routes/replicate";
import { migrateShard, shardRoutes } from "./routes/shard";
import { isTargetingNamespace, migrateTargeting, targetingRouter } from "./routes/targeting";
import { dlqRoutes, migrateDlq } from "./routes/dlq";
import { eventRoutes, migrateEvents } from "./routes/events";
import { networkRoutes } from "./routes/network";
import { doCallRoutes, wsReply } from "./routes/network-do";
import { migrateObjects, objectRoutes } from "./routes/objects";
import { migrateRelationships, relationshipRoutes } from "./routes/relationships";
import { migrateSearch, searchRoutes } from "./routes/search";
import { migrateThings, thingsRoutes } from "./routes/things";
import type { Env } from "./env";

export const NAMESPACE_HEADER = "x-perfdo-namespace";

/**
 * One object per namespace (`fork.perf.do` → the object named `fork`), SQLite-backed, so every
 * namespace has its own isolated state exactly as on the platform.
 */
export class PerfDO extends DurableObject<Env> {
  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    ws.send(wsReply(message));
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    ws.close(code, reason);
  }

  private readonly router: RouterType;
  /** sharded./replicated. answer §4's targeting first; anything they leave goes to `router`. */
  private readonly targeting: RouterType;
  private readonly copy: CopyContext;
  private namespace = "";

  /** Eventual clones advance one chunk per alarm until done. */
  override async alarm(): Promise<void> {
    if (await advanceCloneJobs(this.ctx.storage.sql, this.copy)) await this.ctx.storage.setAlarm(Date.now() + 10);
  }

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    const migrations = [migrateThings, migrateRelationships, migrateActions, migrateEvents, migrateSearch, migrateObjects, migrateDlq, migrateLifecycle, migrateCopy, migrateShard, migratePromote, migrateReplicate, migrateTargeting];
    for (const migrate of migrations) migrate(sql);
    const transaction = <T>(fn: () => T): T => ctx.storage.transactionSync(fn);
    this.router = Router();
    networkRoutes(this.router, () => this.namespace);
    const call = (namespace: string, request: Request): Promise<Response> => {
      const forwarded = new Request(request);
      forwarded.headers.set(NAMESPACE_HEADER, namespace);
      return env.PERF_DO.get(env.PERF_DO.idFromName(namespace)).fetch(forwarded);
    };
    const baseDomain = env.BASE_DOMAIN ?? "perf.do";
    this.copy = { namespace: () => this.namespace, baseDomain, call, setAlarm: (at) => ctx.storage.setAlarm(at) };
    this.targeting = targetingRouter(sql, { namespace: () => this.namespace, call });
    doCallRoutes(this.router, { namespace: () => this.namespace, baseDomain, sockets: () => ctx.getWebSockets().length, call });
    lifecycleRoutes(this.router, sql, transaction, () => this.namespace);
    copyRoutes(this.router, sql, this.copy);
    compactRoutes(this.router, sql, transaction);
    // Replication before sharding: its `POST /write {key, value}` must be seen before the coordinator's.
    replicateRoutes(this.router, sql, transaction);
    shardRoutes(this.router, sql, { namespace: () => this.namespace, call });
    // Promote/demote routes first: their `POST /objects {id, data}` must be seen before the registry's.
    promoteRoutes(this.router, sql, transaction);
    thingsRoutes(this.router, sql, transaction, (id) => historyOf(sql, id));
    relationshipRoutes(this.router, sql);
    actionRoutes(this.router, sql);
    eventRoutes(this.router, sql, transaction);
    searchRoutes(this.router, sql, transaction);
    objectRoutes(this.router, sql);
    dlqRoutes(this.router, sql);
    this.router.all("*", (request) => fail(404, `no route ${request.method} ${new URL(request.url).pathname} on ${this.namespace}`));
  }

  override async fetch(request: Request): Promise<Response> {
    this.namespace = request.headers.get(NAMESPACE_HEADER) ?? this.namespace;
    if (new URL(request.url).pathname === "/ws") {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return fail(426, "GET /ws needs a WebSocket upgrade");
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      // Hibernation API: the object may sleep between messages without dropping the socket.
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client });
    }
    try {
      if (isTargetingNamespace(this.namespace)) {
        const targeted = (await this.targeting.fetch(request.clone())) as Response | undefined;
        if (targeted) return targeted;
      }
      return (await this.router.fetch(request)) as Response;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return fail(500, `internal error: ${message}`);
    }
  }
}

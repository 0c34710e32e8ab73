import { DurableObject } from "cloudflare:workers";
import { featureRouter, migrate, SCHEMA_TABLE, UNSERVED, type Feature, type FeatureContext } from "./feature";
import { CLAIMED, FEATURE_BY_NAME, FEATURES } from "./features";
import { faultOf } from "./faults";
import { fail, HttpError } from "./http";
import { failingStore, gatewayStore, r2Store } from "./iceberg/store";
import { namespaceFromHost } from "./namespace";
import { serves } from "./namespaces";
import { segmentRouter, type SegmentRouter } from "./segment-router";
import { wsAction } from "./ws-reply";
import type { Env } from "./env";

/**
 * One object per namespace (`fork.perf.do` → the object named `fork`), SQLite-backed, so every
 * namespace has its own isolated state exactly as on the platform. What it serves is the features
 * of `features.ts`, tried in that order; a feature's tables are created (and migrated to its
 * version) the first time one of its routes, RPC methods or alarms runs in this object, so a cold
 * object pays only for what its first request uses.
 */
export class PerfDO extends DurableObject<Env> {
  private readonly router: SegmentRouter;
  private readonly context: FeatureContext;
  private readonly readyFeatures = new Set<string>();
  /** Per feature, whether it serves this object's namespace (decided on first use; cleared if the namespace is learnt anew). */
  private readonly served = new Map<string, boolean>();
  private namespace = "";

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const transaction = <T>(fn: () => T): T => ctx.storage.transactionSync(fn);
    this.context = {
      sql: ctx.storage.sql,
      transaction,
      namespace: () => this.namespace,
      baseDomain: env.BASE_DOMAIN ?? "perf.do",
      peer: (namespace) => ({
        call: async <T,>(feature: string, method: string, payload?: unknown): Promise<T> =>
          (await env.PERF_DO.get(env.PERF_DO.idFromName(namespace)).rpc(namespace, feature, method, payload)) as T,
      }),
      sockets: () => ctx.getWebSockets().length,
      setAlarm: async (at) => {
        // One alarm per object, shared by features (clone jobs, timers): never postpone another's wake-up.
        const current = await ctx.storage.getAlarm();
        if (current === null || at < current) await ctx.storage.setAlarm(at);
      },
      fault: env.PERFDO_LOCAL === "1" ? faultOf(env.PERFDO_FAULT) : "",
      local: env.PERFDO_LOCAL === "1",
      // After the response has gone: abort() throws into whatever is running in the object.
      resetSoon: () => void setTimeout(() => ctx.abort("reset on request (cold start measurement)"), 0),
      // Every table goes, so every feature's tables are made again on its next request.
      deleteAll: async () => {
        await ctx.storage.deleteAll();
        this.readyFeatures.clear();
      },
      store:
        env.PERFDO_LOCAL === "1" && faultOf(env.PERFDO_FAULT) === "r2-unavailable"
          ? failingStore()
          : env.ICEBERG ? r2Store(env.ICEBERG) : env.ICEBERG_LOCAL ? r2Store(env.ICEBERG_LOCAL) : env.ICEBERG_STORE ? gatewayStore(env.ICEBERG_STORE) : null,
      // The Worker's own entry refuses a request without the deployment's token (access.ts): an
      // object calling through it is a client like any other and carries it.
      owners: (hook) => FEATURES.filter((f) => f[hook] !== undefined).map((f) => (this.ready(f), f)),
      viaWorker: (request) => {
        if (env.PERFDO_TOKEN) request.headers.set("authorization", `Bearer ${env.PERFDO_TOKEN}`);
        return (ctx as unknown as { exports: { default: { fetch(r: Request): Promise<Response> } } }).exports.default.fetch(request);
      },
    };
    this.router = segmentRouter();
    for (const feature of FEATURES) feature.routes(featureRouter(this.router.register, feature, () => this.ready(feature), () => this.serves(feature)), this.context);
    this.router.register.all("*", (request) => {
      const route = `${request.method} ${new URL(request.url).pathname}`;
      const owner = FEATURE_BY_NAME.get((request as { [UNSERVED]?: string })[UNSERVED] ?? "");
      return owner
        ? fail(404, `${route} is not served on ${this.namespace}: ${owner.name} answers on ${owner.serves.join(", ")} (docs/contract.md §2)`)
        : fail(404, `no route ${route} on ${this.namespace}`);
    });
  }

  private serves(feature: Feature): boolean {
    let answer = this.served.get(feature.name);
    if (answer === undefined) this.served.set(feature.name, (answer = serves(feature.serves, this.namespace, CLAIMED)));
    return answer;
  }

  /** The feature's tables, and those of the features it uses, at their versions (once per object instance). */
  private ready(feature: Feature): void {
    if (this.readyFeatures.has(feature.name)) return;
    this.readyFeatures.add(feature.name); // before its uses: a cycle of uses ends here
    try {
      for (const used of feature.uses ?? []) this.ready(FEATURE_BY_NAME.get(used) as Feature);
      migrate(this.context.sql, this.context.transaction, feature);
    } catch (err) {
      this.readyFeatures.delete(feature.name);
      throw err;
    }
  }

  private learn(namespace: string): void {
    if (namespace !== this.namespace) this.served.clear();
    this.namespace = namespace;
  }

  /** Object-to-object calls (Durable Object RPC): `peer(namespace).call(feature, method, payload)`. */
  async rpc(namespace: string, featureName: string, method: string, payload: unknown): Promise<unknown> {
    this.learn(namespace);
    const feature = FEATURE_BY_NAME.get(featureName);
    const fn = feature?.rpc?.[method];
    if (!feature || !fn) throw new Error(`no RPC method ${featureName}.${method}`);
    this.ready(feature);
    return fn(this.context, payload as never);
  }

  /** One alarm per object: each feature with work due does it and says when it next needs waking. */
  override async alarm(): Promise<void> {
    const sql = this.context.sql;
    const recorded = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = ?", SCHEMA_TABLE).one().n > 0
      ? new Set(sql.exec<{ name: string }>(`SELECT name FROM ${SCHEMA_TABLE}`).toArray().map((r) => r.name))
      : new Set<string>();
    let next: number | null = null;
    for (const feature of FEATURES) {
      // Only features this object has used: an alarm never creates another feature's tables.
      if (!feature.alarm || !(this.readyFeatures.has(feature.name) || recorded.has(feature.name))) continue;
      this.ready(feature);
      const at = await feature.alarm(this.context);
      if (at !== null && (next === null || at < next)) next = at;
    }
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const action = wsAction(message, this.context.fault);
    if (action.reply !== undefined) ws.send(action.reply);
    if (action.close) ws.close(action.close.code, action.close.reason);
  }

  /**
   * Completes the closing handshake the client started, so the connection really ends and every
   * client's `onclose` fires. 1005 (the client gave no code), 1006 and 1015 may be received but never
   * sent: echoing one throws, no close frame goes out, and the client waits for ever (Node's built-in
   * WebSocket did, test/integration/websocket-close.test.ts); those are answered with no code.
   */
  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      if (code === 1005 || code === 1006 || code === 1015) ws.close();
      else ws.close(code, reason);
    } catch {
      // the socket is gone already: nothing left to close
    }
  }

  override async fetch(request: Request): Promise<Response> {
    // The namespace is the request's host, as the Worker read it (index.ts): the request comes through
    // unchanged, with no copy to carry it in a header (npm run bench:target: that copy cost ~5 % of
    // the target's CPU per request).
    const url = new URL(request.url);
    this.learn(namespaceFromHost(url.host, this.context.baseDomain) ?? this.namespace);
    if (url.pathname === "/ws") {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return fail(426, "GET /ws needs a WebSocket upgrade");
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      // Hibernation API: the object may sleep between messages without dropping the socket.
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client });
    }
    let response: Response;
    try {
      response = (await this.router.fetch(request)) as Response;
    } catch (err) {
      // A reply thrown by a route (./http.ts HttpError) is its answer; anything else is a fault of ours.
      if (err instanceof HttpError) response = fail(err.status, err.message);
      // SQLite in a Durable Object refuses a LIKE pattern over 50 bytes, and only once a row is
      // compared: the search text a request gave is too long, whichever route built the pattern.
      else if (err instanceof Error && err.message.includes("LIKE or GLOB pattern too complex")) {
        response = fail(400, `${request.method} ${url.pathname}: the search text is too long: a LIKE pattern is at most 50 bytes (Durable Object SQLite's limit)`);
      } else response = fail(500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
    // A route that ignores its body (`POST /cache/clear {}`), or is refused before reading it, must
    // still consume it: workerd will not reuse a connection whose request body was left unread, and
    // the client's next request on it fails.
    if (!request.bodyUsed && request.body) await request.arrayBuffer().catch(() => undefined);
    return response;
  }
}

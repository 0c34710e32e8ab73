import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { namespaceFromHost } from "../namespace";
import { COLO_COORDINATES, HOME_COLO, modelRttMs } from "../colos";
import { EVERY } from "../namespaces";

// echo.perf.do and every namespace (contract §9): `/ping` and `POST /echo`, the cheapest round
// trips, the floor of every other figure; DO → DO calls; the WebSocket endpoint's stats (the
// socket itself is accepted by the object, perf-do.ts, with the hibernation API).

// `target` is a host (`echo-replica.perf.do`); `via: "worker"` goes out through the Worker and back.
const DoCall = v.object({ target: v.string(), affinity: v.optional(v.literal("same-colo", "cross-colo")), targetColo: v.optional(v.string()), via: v.optional(v.literal("rpc", "worker")) });

const ping = (ctx: FeatureContext) => ({ ok: true, namespace: ctx.namespace(), ts: Date.now() });

function networkRoutes(router: RouterType, ctx: FeatureContext): void {
  router.get("/ping", () => json(ping(ctx)));
  // Any JSON body comes back as it was sent (an empty one as {}).
  router.post("/echo", withBody(v.value(), (body) => json(body)));
  // POST /do-call {target: "echo-replica.perf.do", affinity}: this object pings the target's object.
  router.post("/do-call", withBody(DoCall, async (body) => {
    const target = namespaceFromHost(body.target, ctx.baseDomain);
    if (!target) return fail(400, `target ${body.target} names no namespace`);
    const affinity = body.affinity ?? "same-colo";
    // Locally both objects share a machine: a cross-colo call waits the colo model's round trip
    // (home → targetColo, default LHR) on top of the real call. Deployed, the network is real.
    const targetColo = body.targetColo?.toUpperCase() ?? "LHR";
    const modelMs = ctx.local && affinity === "cross-colo" ? modelRttMs(HOME_COLO, targetColo) : null;
    if (ctx.local && affinity === "cross-colo" && modelMs === null) return fail(400, `unknown targetColo ${targetColo}`);
    // via "worker": out through this Worker's own fetch handler and back in by host, as a client's
    // request would go (DO → Worker → DO); otherwise straight to the object by RPC.
    const viaWorker = body.via === "worker";
    const started = performance.now();
    if (modelMs) await new Promise((r) => setTimeout(r, modelMs));
    let reply: unknown;
    let status = 200;
    if (viaWorker) {
      const res = await ctx.viaWorker(new Request(`https://${body.target}/ping`));
      status = res.status;
      reply = await res.json();
    } else reply = await ctx.peer(target).call("network", "ping");
    const latencyMs = performance.now() - started;
    return json({ ok: status === 200, from: ctx.namespace(), target: body.target, affinity, via: viaWorker ? "worker" : "rpc", status, latencyMs, reply, ...(modelMs === null ? {} : { modelMs, targetColo }) });
  }));
  // GET /colo-probe?target=<COLO> with cf-ipcolo: <source> (and X-Target-Colo): one cell of the colo
  // matrix. Locally the answer waits the colo model's round trip between the two (colos.ts).
  const Colo = v.optional(q.string({ max: 8 }));
  router.get("/colo-probe", withQuery({ source: Colo, target: Colo }, async (query, request) => {
    const source = (request.headers.get("cf-ipcolo") ?? query.source ?? HOME_COLO).toUpperCase();
    const targetColo = (request.headers.get("x-target-colo") ?? query.target ?? "").toUpperCase();
    if (!COLO_COORDINATES[source] || !COLO_COORDINATES[targetColo]) return fail(400, `colo-probe needs known colos (source ${source}, target ${targetColo || "missing"}; known: ${Object.keys(COLO_COORDINATES).join(", ")})`);
    const modelMs = ctx.local ? (modelRttMs(source, targetColo) as number) : null;
    if (modelMs) await new Promise((r) => setTimeout(r, modelMs));
    return json({ source, target: targetColo, servedBy: ctx.local ? targetColo : undefined, model: ctx.local ? "great-circle distance at 100 km per ms of round trip" : undefined, modelMs: modelMs ?? undefined });
  }));
  router.get("/ws/stats", () => json({ namespace: ctx.namespace(), connections: ctx.sockets() }));
}

export const network: Feature = {
  name: "network",
  serves: [EVERY],
  shares: [{ route: "GET /ping", with: "targeting", how: "targeting answers /ping on replicated.perf.do only (with the serving region); every other namespace gets this one" }],
  routes: networkRoutes,
  rpc: { ping },
};

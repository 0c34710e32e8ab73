import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { fail, isObject, json, readJson } from "../http";
import { namespaceFromHost } from "../namespace";

// echo.perf.do and every namespace (contract §9): `/ping` and `POST /echo`, the cheapest round
// trips, the floor of every other figure; DO → DO calls; the WebSocket endpoint's stats (the
// socket itself is accepted by the object, perf-do.ts, with the hibernation API).

const ping = (ctx: FeatureContext) => ({ ok: true, namespace: ctx.namespace(), ts: Date.now() });

function networkRoutes(router: RouterType, ctx: FeatureContext): void {
  router.get("/ping", () => json(ping(ctx)));
  router.post("/echo", async (request) => {
    const body = await readJson(request);
    if (body instanceof Response) return body;
    if (body === undefined) return fail(400, "POST /echo needs a JSON body");
    return json(body);
  });
  // POST /do-call {target: "echo-replica.perf.do", affinity}: this object pings the target's object.
  router.post("/do-call", async (request) => {
    const body = await readJson(request);
    if (body instanceof Response) return body;
    if (!isObject(body) || typeof body.target !== "string") return fail(400, "POST /do-call needs {target: '<namespace>.<domain>'}");
    const target = namespaceFromHost(body.target, ctx.baseDomain);
    if (!target) return fail(400, `target ${body.target} names no namespace`);
    const started = performance.now();
    const reply = await ctx.peer(target).call("network", "ping");
    const latencyMs = performance.now() - started;
    return json({ ok: true, from: ctx.namespace(), target: body.target, affinity: body.affinity ?? "same-colo", status: 200, latencyMs, reply });
  });
  router.get("/ws/stats", () => json({ namespace: ctx.namespace(), connections: ctx.sockets() }));
}

export const network: Feature = {
  name: "network",
  shares: [{ route: "GET /ping", with: "targeting", how: "targeting answers /ping on replicated.perf.do only (with the serving region); every other namespace gets this one" }],
  routes: networkRoutes,
  rpc: { ping },
};

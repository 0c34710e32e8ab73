import type { RouterType } from "itty-router";
import { fail, isObject, json, readJson } from "../http";
import { namespaceFromHost } from "../namespace";

// DO → DO calls and the WebSocket endpoint of echo.perf.do (contract §9).

export interface NetworkContext {
  namespace(): string;
  /** A stub for another namespace's object, as the entry Worker would route to it. */
  call(namespace: string, request: Request): Promise<Response>;
  baseDomain: string;
  sockets(): number;
}

export function doCallRoutes(router: RouterType, ctx: NetworkContext): void {
  // POST /do-call {target: "echo-replica.perf.do", affinity}: this object pings the target's object.
  router.post("/do-call", async (request) => {
    const body = await readJson(request);
    if (body instanceof Response) return body;
    if (!isObject(body) || typeof body.target !== "string") return fail(400, "POST /do-call needs {target: '<namespace>.<domain>'}");
    const target = namespaceFromHost(body.target, ctx.baseDomain);
    if (!target) return fail(400, `target ${body.target} names no namespace`);
    const started = performance.now();
    const reply = await ctx.call(target, new Request(`https://${body.target}/ping`));
    const latencyMs = performance.now() - started;
    return json({ ok: reply.ok, from: ctx.namespace(), target: body.target, affinity: body.affinity ?? "same-colo", status: reply.status, latencyMs, reply: await reply.json() });
  });
  router.get("/ws/stats", () => json({ namespace: ctx.namespace(), connections: ctx.sockets() }));
}

export { wsReply } from "../ws-reply";

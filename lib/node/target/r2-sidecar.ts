import { Miniflare } from "miniflare";

// miniflare's local R2, beside the local target's workerd. workerd alone has no R2 (its r2Bucket
// binding speaks an internal protocol to a service miniflare implements), so the reference Worker
// reaches this bucket through a small gateway Worker running in miniflare with the bucket bound
// (`ICEBERG_STORE`, deploy/src/iceberg/store.ts gatewayStore). A deployment binds R2 directly.
// In memory, like the target's Durable Objects: every start is an empty bucket.

/** The gateway: GET (with Range), HEAD, PUT, DELETE /o/<key>; GET /list?prefix=. */
export const R2_GATEWAY = `export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    if (url.pathname === "/list") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const keys = [];
      let cursor;
      do {
        const page = await env.ICEBERG.list({ prefix, cursor });
        keys.push(...page.objects.map((o) => o.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return Response.json(keys);
    }
    const key = decodeURIComponent(url.pathname.slice(3));
    if (req.method === "PUT") { await env.ICEBERG.put(key, await req.arrayBuffer()); return new Response("ok"); }
    if (req.method === "DELETE") { await env.ICEBERG.delete(key); return new Response("ok"); }
    if (req.method === "HEAD") {
      const head = await env.ICEBERG.head(key);
      return head ? new Response(null, { headers: { "x-size": String(head.size) } }) : new Response(null, { status: 404 });
    }
    const range = /^bytes=(\\d+)-(\\d+)$/.exec(req.headers.get("range") ?? "");
    const obj = await env.ICEBERG.get(key, range ? { range: { offset: Number(range[1]), length: Number(range[2]) - Number(range[1]) + 1 } } : undefined);
    return obj ? new Response(obj.body, { status: range ? 206 : 200 }) : new Response("no such key", { status: 404 });
  },
};`;

export interface R2Sidecar {
  /** host:port of the gateway, on loopback. */
  address: string;
  stop(): Promise<void>;
}

export async function startR2Sidecar(compatibilityDate: string): Promise<R2Sidecar> {
  const mf = new Miniflare({
    modules: true,
    script: R2_GATEWAY,
    compatibilityDate,
    host: "127.0.0.1",
    port: 0,
    r2Buckets: ["ICEBERG"],
    r2Persist: false,
  });
  const url = await mf.ready;
  return { address: url.host, stop: () => mf.dispose() };
}

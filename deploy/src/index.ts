import { HOME_COLO } from "./colos";
import { fail, json } from "./http";
import { refusal } from "./access";
import { faultOf } from "./faults";
import { NAMESPACE_HEADER, namespaceFromHeader, namespaceFromHost, namespaceFromPath, urlFromPath } from "./namespace";
import { routeKey } from "./route-key";
import type { Env } from "./env";
import { OVERLOAD_HEADER, OVERLOADS, overloadError, overloadKind, type OverloadKind } from "./overload";

export { PerfDO } from "./perf-do";

// Durable Object ids by name: idFromName hashes the name on every call; an id (unlike a stub) is a
// plain value any request may use. Bounded: cleared when it holds more names than a run uses.
const ids = new Map<string, DurableObjectId>();
function objectId(env: Env, name: string): DurableObjectId {
  let id = ids.get(name);
  if (!id) {
    if (ids.size >= 10_000) ids.clear();
    id = env.PERF_DO.idFromName(name);
    ids.set(name, id);
  }
  return id;
}

// Per-isolate counters of what this Worker served, keyed "namespace METHOD /route/:id". The local
// target runs one isolate, so these are exact there; integration tests compare them with results.
const served = new Map<string, number>();

function localAdmin(url: URL, request: Request): Response | null {
  if (url.pathname === "/_perfdo/requests" && request.method === "GET") {
    return json({ requests: Object.fromEntries(served) });
  }
  if (url.pathname === "/_perfdo/requests" && request.method === "DELETE") {
    served.clear();
    return json({ reset: true });
  }
  return null;
}

const LOCAL_ON_DEPLOYMENT =
  "this deployment sets PERFDO_LOCAL, which only the embedded local target may (it turns off authentication and opens the admin routes): remove the variable and deploy again";

// Local only (fault do-overloaded): which request fails next, and as which kind.
let overloadTick = 0;
const KINDS = Object.keys(OVERLOADS);

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    let url = new URL(request.url);
    // PERFDO_LOCAL turns off authentication and opens the admin routes: the embedded local target's
    // alone. Beside a deployment's own binding (the ICEBERG bucket of deploy/wrangler.jsonc; the local
    // target binds its R2 under other names) it is a configuration mistake, and nothing is served.
    if (env.PERFDO_LOCAL !== undefined && env.ICEBERG) return fail(503, LOCAL_ON_DEPLOYMENT);
    const local = env.PERFDO_LOCAL === "1";
    if (local && url.pathname.startsWith("/_perfdo/")) {
      return localAdmin(url, request) ?? fail(404, `no admin route ${url.pathname}`);
    }
    const refused = refusal(request, env);
    if (refused) return refused;
    const base = env.BASE_DOMAIN ?? "perf.do";
    // One host for every namespace (workers.dev): the namespace rides in the path, `/@fork/...`. The
    // request goes on as `https://fork.<base>/...`, so the object reads it from the host as always.
    const carried = namespaceFromPath(url.pathname);
    if (carried === "invalid") return fail(400, `path ${url.pathname} starts with "@" but names no namespace (expected /@<namespace>/<route>)`);
    if (carried) {
      request = new Request(`${url.protocol}//${carried.namespace}.${base}${carried.rest}${url.search}`, request);
      url = new URL(request.url);
    } else {
      // Or in a header (X-Perfdo-Namespace: fork), for a client that can change neither host nor path.
      const named = namespaceFromHeader(request.headers.get(NAMESPACE_HEADER));
      if (named === "invalid") return fail(400, `header ${NAMESPACE_HEADER} names no namespace (expected letters, digits, "." and "-")`);
      if (named) {
        request = new Request(`${url.protocol}//${named}.${base}${url.pathname}${url.search}`, request);
        url = new URL(request.url);
      }
    }
    const nested = urlFromPath(url.pathname);
    if (nested) {
      request = new Request(`${url.protocol}//${nested.host}${nested.rest}${url.search}`, request);
      url = new URL(request.url);
    }
    // The URL's host is the Host header on the platform and under workerd's HTTP server alike; miniflare's
    // dispatchFetch (the route tests) keeps the URL but sends its own address as Host.
    const namespace = namespaceFromHost(url.host, base);
    if (local) {
      const key = `${namespace ?? "-"} ${routeKey(request.method, url.pathname)}`;
      served.set(key, (served.get(key) ?? 0) + 1);
    }
    if (url.pathname === "/health") return json({ status: "ok", namespace });
    if (!namespace) return fail(400, `host ${url.host} names no namespace (expected <namespace>.${base}, or a path /@<namespace>/...)`);
    const delay = local ? Number(env.PERFDO_DELAY_MS ?? 0) : 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const routed = local && faultOf(env.PERFDO_FAULT) === "fork-shares-state" ? namespace.replace(/-fork-[0-9a-f]{8}$/, "") : namespace;
    // The request goes through as it came: the object reads its namespace from the same host. An
    // object that refuses work (overloaded) is answered 503 with its kind (./overload.ts).
    let response: Response;
    try {
      if (local && faultOf(env.PERFDO_FAULT) === "do-overloaded" && ++overloadTick % 2 === 0) throw overloadError(KINDS[(overloadTick / 2) % KINDS.length] as OverloadKind);
      response = await env.PERF_DO.get(objectId(env, routed)).fetch(request);
    } catch (err) {
      const kind = overloadKind(err);
      if (kind === null) throw err;
      return json({ error: (err as Error).message, overload: kind }, 503, { [OVERLOAD_HEADER]: kind });
    }
    if (!local || response.status === 101) return response;
    // Local only: answer with a cf-ray as Cloudflare's edge does (`<ray id>-<colo>`), naming the local
    // model's home colo (./colos.ts), or the colo a rehearsal of a remote target asks for, so a client
    // that reads the serving colo from it (the harness's colo reading, perf.do's own suite) runs on a
    // real header. A deployment's cf-ray is Cloudflare's own.
    const colo = env.PERFDO_CF_RAY_COLO || HOME_COLO;
    const withRay = new Response(response.body, response);
    withRay.headers.set("cf-ray", `${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}-${colo}`);
    return withRay;
  },
} satisfies ExportedHandler<Env>;

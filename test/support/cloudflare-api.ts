// A loopback stand-in for the part of Cloudflare's v4 API that `wrangler deploy` calls, so the test
// drives the real wrangler (node_modules/wrangler, pinned in package.json) through a real deploy:
// wrangler reads its API base from CLOUDFLARE_API_BASE_URL (wrangler-dist/cli.js,
// getCloudflareApiBaseUrlFromEnv). Each answer has the shape wrangler reads, found in the same file:
//   GET  /accounts/:a/workers/services/:name   → 404 code 10007 on a first deploy (WORKER_NOT_FOUND_ERR_CODE)
//   GET  /accounts/:a/workers/scripts          → the account's scripts
//   PUT  /accounts/:a/workers/scripts/:name    → multipart upload; recorded whole (metadata + modules)
//   GET|POST /accounts/:a/workers/scripts/:name/subdomain → { enabled, previews_enabled } (subdomainDeploy)
//   GET  /accounts/:a/workers/subdomain        → { subdomain } (getWorkersDevSubdomain)
//   GET  /zones?name=<zone>                    → the zones this account has (getZoneIdByDomain: none
//                                                → "Could not find zone for `<zone>`")
//   PUT  /accounts/:a/workers/scripts/:name/routes → routes by script (publishRoutes); a pattern in no
//                                                zone of the account is refused
//   GET|POST /zones/:id/workers/routes         → routes by zone (the zone-lookup path of a config route)
//   POST /accounts/:a/r2/buckets {name}        → the bucket (createR2Bucket); one that exists: 409
//                                                code 10004, "The bucket you tried to create already exists"
//   GET  /accounts/:a/r2/buckets/:name         → the bucket, or 404 code 10006 (getR2Bucket)
// A script upload whose r2_bucket binding names a bucket the account lacks is refused as the real API
// refuses it: "R2 bucket '<name>' not found. Please use a different name and try again. [code: 10085]"
// (as reported in cloudflare/workers-sdk issues #9418 and #11253; wrangler does not create the bucket).
// Anything else answers 404 and is recorded, so a test sees a call this stand-in does not know.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ApiCall { method: string; path: string; query: string; contentType: string; body: Buffer; authorization: string }

export interface FakeCloudflare {
  baseUrl: string;
  calls: ApiCall[];
  /** Routes accepted, by zone id. */
  routes: Map<string, { id: string; pattern: string; script: string }[]>;
  /** R2 buckets of the account. */
  buckets: Set<string>;
  /** Unanswered calls (404 from this stand-in): a new wrangler asking for something new shows here. */
  unknown: ApiCall[];
  close(): Promise<void>;
}

interface Options { account: string; subdomain: string; zones?: { id: string; name: string }[]; buckets?: string[] }

function envelope(result: unknown, status = 200, error: { code: number; message: string } = { code: 10007, message: "not found" }) {
  return { status, body: { success: status < 400, errors: status < 400 ? [] : [error], messages: [], result } };
}

/** The r2_bucket bindings of a script upload's metadata part. */
function r2BucketsOf(body: Buffer): string[] {
  const text = body.toString();
  const start = text.indexOf("{", text.indexOf('name="metadata"'));
  if (start < 0) return [];
  const metadata = JSON.parse(text.slice(start, text.indexOf("\r\n--", start))) as { bindings?: Array<{ type: string; bucket_name?: string }> };
  return (metadata.bindings ?? []).filter((b) => b.type === "r2_bucket").map((b) => b.bucket_name as string);
}

export async function startFakeCloudflare(options: Options): Promise<FakeCloudflare> {
  const calls: ApiCall[] = [];
  const unknown: ApiCall[] = [];
  const scripts = new Map<string, { enabled: boolean; previews_enabled: boolean }>();
  const routes = new Map<string, { id: string; pattern: string; script: string }[]>();
  const zones = options.zones ?? [];
  const buckets = new Set(options.buckets ?? []);
  const a = `/client/v4/accounts/${options.account}`;

  function answer(call: ApiCall): { status: number; body: unknown } {
    const { method, path } = call;
    const query = new URLSearchParams(call.query);
    let m: RegExpMatchArray | null;
    if (method === "GET" && (m = path.match(new RegExp(`^${a}/workers/services/([^/]+)$`)))) {
      return scripts.has(m[1] as string) ? envelope({ id: m[1], default_environment: { script: { tag: "t" } } }) : envelope(null, 404);
    }
    if (method === "GET" && path === `${a}/workers/scripts`) return envelope([...scripts.keys()].map((id) => ({ id })));
    if (method === "POST" && path === `${a}/r2/buckets`) {
      const name = (JSON.parse(call.body.toString() || "{}") as { name?: string }).name ?? "";
      if (buckets.has(name)) return envelope(null, 409, { code: 10004, message: "The bucket you tried to create already exists, and you own it." });
      buckets.add(name);
      return envelope({ name, creation_date: new Date().toISOString(), location: "ENAM" });
    }
    if (method === "GET" && (m = path.match(new RegExp(`^${a}/r2/buckets/([^/]+)$`)))) {
      return buckets.has(m[1] as string) ? envelope({ name: m[1], creation_date: new Date().toISOString(), location: "ENAM" }) : envelope(null, 404, { code: 10006, message: "The specified bucket does not exist." });
    }
    if (method === "PUT" && (m = path.match(new RegExp(`^${a}/workers/scripts/([^/]+)$`)))) {
      const missing = r2BucketsOf(call.body).find((b) => !buckets.has(b));
      if (missing) return envelope(null, 400, { code: 10085, message: `R2 bucket '${missing}' not found. Please use a different name and try again.` });
      if (!scripts.has(m[1] as string)) scripts.set(m[1] as string, { enabled: false, previews_enabled: false });
      return envelope({ id: m[1], etag: "e", deployment_id: "d", startup_time_ms: 1 });
    }
    if ((m = path.match(new RegExp(`^${a}/workers/scripts/([^/]+)/subdomain$`)))) {
      const state = scripts.get(m[1] as string);
      if (!state) return envelope(null, 404);
      if (method === "POST") Object.assign(state, JSON.parse(call.body.toString() || "{}"));
      return envelope(state);
    }
    if (method === "PUT" && (m = path.match(new RegExp(`^${a}/workers/scripts/([^/]+)/routes$`)))) {
      // A Worker's routes by script (publishRoutes, used when workers.dev stays on): each pattern's
      // host must fall in a zone of the account. The refusal's wording is this stand-in's own.
      const wanted = JSON.parse(call.body.toString() || "[]") as { pattern: string }[];
      for (const { pattern } of wanted) {
        const host = pattern.replace(/^\*\.?/, "").replace(/\/.*$/, "");
        const zone = zones.find((z) => host === z.name || host.endsWith(`.${z.name}`));
        if (!zone) return { status: 400, body: { success: false, errors: [{ code: 10020, message: `no zone of this account holds the route ${pattern}` }], messages: [], result: null } };
        const list = routes.get(zone.id) ?? [];
        list.push({ id: `r${list.length}`, pattern, script: m[1] as string });
        routes.set(zone.id, list);
      }
      return envelope(wanted.map((r, i) => ({ id: `r${i}`, pattern: r.pattern })));
    }
    if (method === "GET" && path === `${a}/workers/subdomain`) return envelope({ subdomain: options.subdomain });
    if (method === "GET" && path === "/client/v4/zones") return envelope(zones.filter((z) => z.name === query.get("name")));
    if ((m = path.match(/^\/client\/v4\/zones\/([^/]+)\/workers\/routes$/))) {
      const list = routes.get(m[1] as string) ?? [];
      if (method === "POST") {
        const route = JSON.parse(call.body.toString());
        list.push({ id: `r${list.length}`, pattern: route.pattern, script: route.script });
        routes.set(m[1] as string, list);
        return envelope(list[list.length - 1]);
      }
      return envelope(list);
    }
    unknown.push(call);
    return envelope(null, 404);
  }

  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const call: ApiCall = {
        method: req.method ?? "GET", path: url.pathname, query: url.search.slice(1),
        contentType: req.headers["content-type"] ?? "", body: Buffer.concat(chunks), authorization: req.headers.authorization ?? "",
      };
      calls.push(call);
      const { status, body } = answer(call);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    calls,
    routes,
    buckets,
    unknown,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

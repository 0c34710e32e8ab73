// Runs inside k6, per request: keep it lean. One call = one measured operation, tagged `name`
// (k6's own convention for grouping URLs), checked, and counted by the colo that served it.

import http, { type RefinedResponse, type ResponseType } from "k6/http";
import { check } from "k6";
import { Counter } from "k6/metrics";
import { target as runTarget } from "./options";
import { baseUrl, hostFor, namespaceHeaders, type Target } from "./target";

/**
 * Response-side colo (the text after the last "-" of `cf-ray`), counted per operation. Only a real
 * deployment answers with cf-ray, so a local run does not create the metric (each costs every VU).
 */
const coloServed = runTarget.kind === "remote" && !runTarget.plain ? new Counter("perfdo_colo_served") : null;

/**
 * The host an operation's requests go to, said once per VU and operation instead of as a tag on
 * every request: each tag is paid on each of the ~12 samples k6 makes per request
 * (npm run bench:overhead). Results read it as the operation's `target`.
 */
const operationHost = new Counter("perfdo_host");

/** Requests refused by an overloaded Durable Object, per operation and kind (queue-count, queue-bytes, queue-time, rate). */
const overload = new Counter("perfdo_overload");
// Plain objects, not Set/Map/WeakMap/Symbol: sobek builds a builtin's constructor and prototype
// in each VU's runtime the first time the VU touches it, ~5-15 KB of k6 memory per VU per builtin
// (npm run bench:overhead; measured with 1,000 idle VUs).
const announced: Record<string, true> = Object.create(null) as Record<string, true>;
export function announceHost(name: string, host: string): void {
  if (announced[name]) return;
  announced[name] = true;
  operationHost.add(1, { name, host });
}

/** Facts about an operation that results record (BenchmarkResult's optional fields). */
export interface OperationMeta {
  /** Sent as `cf-ipcolo` (the contract's colo hint) and recorded as the requested colo. */
  colo?: string;
  coldStart?: boolean;
  datasetSize?: number;
  shardCount?: number;
  /** Statuses that count as success besides 2xx, e.g. 404 after a delete. */
  expectStatus?: number[];
  /** Request headers the contract names for an operation (`X-Current-Time`, `Idempotency-Key`, `X-Source`, …). */
  headers?: Record<string, string>;
}

export type JsonResponse = RefinedResponse<ResponseType | undefined>;

// No replay without a trace. workerd closes a keep-alive connection after ~5 s idle, and a POST that
// k6 (Go's net/http) sends on such a connection just as it closes fails with EOF: Go resends only
// requests it knows are idempotent (net/http Request.isReplayable: GET/HEAD/OPTIONS/TRACE, or one
// carrying an Idempotency-Key header) and never says so. A POST that failed that way, before any
// answer, is sent once more here and counted (perfdo_connection, the result line's `retries`): the first
// attempt's failure is then not the operation's error, and the line says how many were sent twice.
/** Errors of a connection the server closed before answering (k6: EOF, reset by peer 1220, broken pipe 1201). */
export function closedBeforeAnswer(res: { status: number; error_code: number; error: string }): boolean {
  return res.status === 0 && (res.error_code === 1220 || res.error_code === 1201 || res.error.indexOf("EOF") >= 0 || res.error.indexOf("server closed idle connection") >= 0);
}

// The addresses the load reached, as k6 saw them (a response's remote_ip and port), said once per
// VU and address (perfdo_connection): the result line's provenance says whether any was loopback or
// private. Read from each VU's first response and every 256th after: reading remote_ip builds a
// string from Go on every call, and the per-request path stays as lean as it was (npm run
// bench:overhead measured the same R with and without this sampling in place).
// perfdo_connection counts what happened to connections: an address reached ({addr, port}), or a
// request sent again ({name, retry}). The addresses share `announced` (one object per VU, not two).
const connection = new Counter("perfdo_connection");
let responses = 0;
function noteAddress(res: JsonResponse): void {
  if ((responses++ & 255) !== 0) return;
  const ip = res.remote_ip;
  if (!ip || announced[`@${ip}`]) return;
  announced[`@${ip}`] = true;
  connection.add(1, { addr: ip, port: String(res.remote_port) });
}

// A deployment's bearer token (deploy/src/access.ts), from the environment k6 runs in: `perfdo run`
// hands it to k6 in its process environment, never as `-e`, so it is in no built script, archive or
// manifest. Requests carry it only when it is set (the local target needs none).
const TOKEN = __ENV.PERFDO_TOKEN;
const AUTH: Record<string, string> | undefined = TOKEN ? { Authorization: `Bearer ${TOKEN}` } : undefined;
const JSON_HEADERS = { "Content-Type": "application/json", ...AUTH };

/** k6/websockets params for a socket to the target: its bearer token when the run has one. */
export function socketParams(): { headers: Record<string, string> } | undefined {
  return AUTH ? { headers: AUTH } : undefined;
}
// A request succeeds on 2xx (k6's own default also passes 3xx). Set once per VU as the default, so
// that only operations expecting other statuses carry a callback: k6 parses every key of a
// request's params on every request (npm run bench:overhead).
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }));

/** Set by Grafana Cloud k6 in each load zone's runners: results get one line per operation per zone. */
const LOAD_ZONE = __ENV.K6_CLOUDRUN_LOAD_ZONE;

export function tagsFor(name: string, meta: OperationMeta | undefined): Record<string, string> {
  // k6 replaces the url tag with `name`; the host is announced once (announceHost), not tagged.
  const tags: Record<string, string> = { name };
  if (LOAD_ZONE) tags.load_zone = LOAD_ZONE;
  if (!meta) return tags;
  if (meta.colo) tags.colo = meta.colo;
  if (meta.coldStart) tags.cold_start = "true";
  if (meta.datasetSize !== undefined) tags.dataset_size = String(meta.datasetSize);
  if (meta.shardCount !== undefined) tags.shard_count = String(meta.shardCount);
  return tags;
}

export interface NamespaceClient {
  readonly url: string;
  get(name: string, path: string, meta?: OperationMeta): JsonResponse;
  del(name: string, path: string, meta?: OperationMeta): JsonResponse;
  post(name: string, path: string, body?: unknown, meta?: OperationMeta): JsonResponse;
  put(name: string, path: string, body?: unknown, meta?: OperationMeta): JsonResponse;
  patch(name: string, path: string, body?: unknown, meta?: OperationMeta): JsonResponse;
  /** Requests sent at once (k6's http.batch), each measured and checked as its own operation. */
  batch(requests: readonly BatchRequest[]): JsonResponse[];
}

export interface BatchRequest { method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"; name: string; path: string; body?: unknown }

/** `bodyJson`'s answer for a body that is not JSON (a unique object: see `announced` on Symbol). */
export const NOT_JSON: { readonly notJson: true } = { notJson: true };

// Every request's body is parsed for its "body is JSON" check, and scenarios read most bodies right
// after the request: remember the last parse so that body is not parsed twice. (Measured: a property
// set on the response object made k6 ~40 % slower under overload; a WeakMap, as fast as this but
// ~6 KB more per VU.) A response read after another was sent is parsed again, correctly.
let lastResponse: JsonResponse | null = null;
let lastParsed: unknown;

/** The response body as JSON: `undefined` for an empty body, `NOT_JSON` when it does not parse. */
export function bodyJson(res: JsonResponse): unknown {
  if (res === lastResponse) return lastParsed;
  const body = res.body;
  let value: unknown;
  if (body === null || body === undefined || body === "") value = undefined;
  else {
    try {
      value = JSON.parse(body as string) as unknown;
    } catch {
      value = NOT_JSON;
    }
  }
  lastResponse = res;
  lastParsed = value;
  return value;
}

/** What a client checks of each answer besides its status. */
export interface ClientOptions {
  /**
   * Check that each body is JSON (or empty): the perf.do contract's answers are. Default: on for a
   * perf.do target, off for a plain HTTP API (Target.plain), whose bodies are its own business.
   */
  json?: boolean;
}

/**
 * A client for one namespace (`fork` → `<scheme>://fork.<baseDomain>`, or wherever the target's
 * carrier puts it). Every call is checked the way the contract's clients judge a call: an expected
 * status, and (ClientOptions.json) a JSON or empty body.
 */
export function namespaceClient(target: Target, namespace: string, options: ClientOptions = {}): NamespaceClient {
  const root = baseUrl(target, namespace);
  const host = hostFor(target, namespace);
  const carried = namespaceHeaders(target, namespace);
  const checkJson = options.json ?? !target.plain;
  // Only a real deployment answers with cf-ray; reading res.headers builds a JS object of every
  // header, per request, so the local target skips it (its colo is "local" anyway).
  const readColo = coloServed !== null && target.kind === "remote";

  // Per operation, built once: its request params and its checks. k6 runs scenario code in an
  // interpreter, and under overload every object, closure and call made per request is paid per
  // request (npm run bench:overhead), so a request here allocates nothing of its own but the URL.
  // k6 calls each check function with the response, so the checks object is shared too.
  interface Plan {
    params: { headers?: Record<string, string>; tags: Record<string, string>; responseCallback?: ReturnType<typeof http.expectedStatuses> };
    bodyParams: Plan["params"];
    checks: Record<string, (res: JsonResponse) => boolean>;
  }
  const planOf = (name: string, meta: OperationMeta | undefined): Plan => {
    const expectStatus = meta?.expectStatus;
    const okStatus = expectStatus
      ? (res: JsonResponse) => (res.status >= 200 && res.status < 300) || expectStatus.includes(res.status)
      : (res: JsonResponse) => res.status >= 200 && res.status < 300;
    const statusCheck = `${name}: status is ${expectStatus ? `2xx or ${expectStatus.join("/")}` : "2xx"}`;
    announceHost(name, host);
    const tags = tagsFor(name, meta);
    const colo: Record<string, string> = meta?.colo ? { "cf-ipcolo": meta.colo, ...carried, ...meta.headers, ...AUTH } : { ...carried, ...meta?.headers, ...AUTH };
    // Only what differs from k6's defaults (and the VU's response callback): no empty headers.
    const params: Plan["params"] = meta?.colo || meta?.headers || AUTH || carried ? { headers: colo, tags } : { tags };
    const bodyParams: Plan["params"] = { headers: { ...JSON_HEADERS, ...colo }, tags };
    if (expectStatus) params.responseCallback = bodyParams.responseCallback = http.expectedStatuses({ min: 200, max: 299 }, ...expectStatus);
    return {
      params,
      bodyParams,
      checks: checkJson
        ? { [statusCheck]: okStatus, [`${name}: body is JSON`]: (res: JsonResponse) => bodyJson(res) !== NOT_JSON }
        : { [statusCheck]: okStatus },
    };
  };
  // Plans of meta-less calls are kept by name; a call with meta (rare, often cold paths) builds its own.
  const plans: Record<string, Plan> = Object.create(null) as Record<string, Plan>;
  let lastName = "";
  let lastPlan: Plan | null = null;
  const planFor = (name: string, meta: OperationMeta | undefined): Plan => {
    if (meta !== undefined) return planOf(name, meta);
    if (name === lastName && lastPlan) return lastPlan;
    const plan = plans[name] ?? (plans[name] = planOf(name, undefined));
    lastName = name;
    lastPlan = plan;
    return plan;
  };

  function send(method: string, name: string, path: string, body: unknown, meta: OperationMeta | undefined): JsonResponse {
    const plan = planFor(name, meta);
    const payload = body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body);
    const params = body === undefined && method === "GET" ? plan.params : plan.bodyParams;
    let res = http.request(method, root + path, payload, params);
    if (method !== "GET" && closedBeforeAnswer(res)) {
      connection.add(1, { name, retry: "1" });
      res = http.request(method, root + path, payload, params);
    }
    noteAddress(res);
    check(res, plan.checks); // the check's name says the operation: no tag needed
    // An overloaded object (503 with its kind, deploy/src/overload.ts), counted by kind: read on failures only.
    if (res.status === 503) {
      const kind = res.headers["X-Perfdo-Overload"];
      if (kind) overload.add(1, { name, kind });
    }
    if (readColo) {
      const ray = res.headers["Cf-Ray"];
      if (ray) coloServed?.add(1, { name, colo: ray.slice(ray.lastIndexOf("-") + 1) });
    }
    return res;
  }

  function batch(requests: readonly BatchRequest[]): JsonResponse[] {
    const plans = requests.map((r) => planFor(r.name, undefined));
    const responses = http.batch(requests.map((r, i) => {
      const plan = plans[i] as Plan;
      const body = r.body === undefined ? null : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
      return [r.method, root + r.path, body, body === null && r.method === "GET" ? plan.params : plan.bodyParams] as [string, string, string | null, Plan["params"]];
    })) as JsonResponse[];
    for (const [i, res] of responses.entries()) {
      noteAddress(res);
      const kind = res.status === 503 ? res.headers["X-Perfdo-Overload"] : undefined;
      if (kind) overload.add(1, { name: (requests[i] as BatchRequest).name, kind });
    }
    responses.forEach((res, i) => check(res, (plans[i] as Plan).checks));
    return responses;
  }

  return {
    url: root,
    batch,
    get: (name, path, meta) => send("GET", name, path, undefined, meta),
    del: (name, path, meta) => send("DELETE", name, path, undefined, meta),
    post: (name, path, body, meta) => send("POST", name, path, body, meta),
    put: (name, path, body, meta) => send("PUT", name, path, body, meta),
    patch: (name, path, body, meta) => send("PATCH", name, path, body, meta),
  };
}

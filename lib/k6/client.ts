// Runs inside k6, per request: keep it lean. One call = one measured operation, tagged `name`
// (k6's own convention for grouping URLs), checked, and counted by the colo that served it.

import http, { type RefinedResponse, type ResponseType } from "k6/http";
import { check } from "k6";
import { Counter } from "k6/metrics";
import { baseUrl, hostFor, type Target } from "./target";

/** Response-side colo (the text after the last "-" of `cf-ray`), counted per operation. */
const coloServed = new Counter("perfdo_colo_served");

/** Facts about an operation that results record (BenchmarkResult's optional fields). */
export interface OperationMeta {
  /** Sent as `cf-ipcolo` (the contract's colo hint) and recorded as the requested colo. */
  colo?: string;
  coldStart?: boolean;
  datasetSize?: number;
  shardCount?: number;
  /** Statuses that count as success besides 2xx, e.g. 404 after a delete. */
  expectStatus?: number[];
}

export type JsonResponse = RefinedResponse<ResponseType | undefined>;

const JSON_HEADERS = { "Content-Type": "application/json" };
const NO_HEADERS = {};
const EXPECTED_2XX = http.expectedStatuses({ min: 200, max: 299 });

export function tagsFor(name: string, host: string, meta: OperationMeta | undefined): Record<string, string> {
  // k6 replaces the url tag with `name`, so the host goes in a tag of its own for results.
  const tags: Record<string, string> = { name, host };
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
}

/** `bodyJson`'s answer for a body that is not JSON. */
export const NOT_JSON = Symbol("not json");

// Every request's body is parsed for its "body is JSON" check, and scenarios read most bodies too:
// remember the parse per response so no body is parsed twice. (A WeakMap, measured: a property set
// on the response object itself made k6 ~40 % slower under overload.)
const parsed = new WeakMap<JsonResponse, unknown>();

/** The response body as JSON: `undefined` for an empty body, `NOT_JSON` when it does not parse. */
export function bodyJson(res: JsonResponse): unknown {
  if (parsed.has(res)) return parsed.get(res);
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
  parsed.set(res, value);
  return value;
}

/**
 * A client for one namespace (`fork` → `<scheme>://fork.<baseDomain>`). Every call is checked the
 * way the contract's clients judge a call: an expected status and a JSON (or empty) body.
 */
export function namespaceClient(target: Target, namespace: string): NamespaceClient {
  const root = baseUrl(target, namespace);
  const host = hostFor(target, namespace);
  // Only a real deployment answers with cf-ray; reading res.headers builds a JS object of every
  // header, per request, so the local target skips it (its colo is "local" anyway).
  const readColo = target.kind === "remote";

  // Per operation, built once: its tags and its check names. Requests run flat out under
  // overload, and every allocation here is paid per request (npm run bench:overhead).
  interface Plan {
    tags: Record<string, string>;
    checkTags: { name: string };
    statusCheck: string;
    jsonCheck: string;
    expected: ReturnType<typeof http.expectedStatuses>;
  }
  const plans = new Map<string, Plan>();
  const planFor = (name: string, meta: OperationMeta | undefined): Plan => {
    const cacheable = meta === undefined;
    const cached = cacheable ? plans.get(name) : undefined;
    if (cached) return cached;
    const plan: Plan = {
      tags: tagsFor(name, host, meta),
      checkTags: { name },
      statusCheck: `${name}: status is ${meta?.expectStatus ? `2xx or ${meta.expectStatus.join("/")}` : "2xx"}`,
      jsonCheck: `${name}: body is JSON`,
      expected: meta?.expectStatus ? http.expectedStatuses({ min: 200, max: 299 }, ...meta.expectStatus) : EXPECTED_2XX,
    };
    if (cacheable) plans.set(name, plan);
    return plan;
  };

  function send(method: string, name: string, path: string, body: unknown, meta: OperationMeta | undefined): JsonResponse {
    const plan = planFor(name, meta);
    const payload = body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body);
    const headers = meta?.colo ? { ...JSON_HEADERS, "cf-ipcolo": meta.colo } : payload === null ? NO_HEADERS : JSON_HEADERS;
    const res = http.request(method, root + path, payload, { headers, tags: plan.tags, responseCallback: plan.expected });
    const okStatus = (res.status >= 200 && res.status < 300) || (meta?.expectStatus?.includes(res.status) ?? false);
    check(res, { [plan.statusCheck]: () => okStatus, [plan.jsonCheck]: () => bodyJson(res) !== NOT_JSON }, plan.checkTags);
    if (readColo) {
      const ray = res.headers["Cf-Ray"];
      if (ray) coloServed.add(1, { name, colo: ray.slice(ray.lastIndexOf("-") + 1) });
    }
    return res;
  }

  return {
    url: root,
    get: (name, path, meta) => send("GET", name, path, undefined, meta),
    del: (name, path, meta) => send("DELETE", name, path, undefined, meta),
    post: (name, path, body, meta) => send("POST", name, path, body, meta),
    put: (name, path, body, meta) => send("PUT", name, path, body, meta),
    patch: (name, path, body, meta) => send("PATCH", name, path, body, meta),
  };
}

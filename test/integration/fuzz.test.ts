import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { FEATURES } from "../../deploy/src/features";
import type { Declared } from "../../deploy/src/input";
import { EVERY, UNCLAIMED } from "../../deploy/src/namespaces";
import { registrations, type Registration } from "../../deploy/src/route-list";
import type { Schema, Shape } from "../../deploy/src/schema";
import type { LocalTarget } from "../../lib/node/target/local";
import { measured, startWorker } from "./helpers";

// Hostile requests to every route of the reference Worker, derived from what each route declares
// (deploy/src/input.ts: its body, query string and path parameters, each with bounds). Per route,
// first two requests with everything at its declared bounds (boundary values: random draws favour
// small values and rarely reach them), then RUNS that fast-check generates: values of the declared
// shape with one part replaced by something hostile (a wrong type, an extreme or negative number, a
// huge string or array, deep nesting, odd Unicode, an empty or missing value, an unknown key), or a
// body that is not JSON at all. Every answer must be below 500, come back within BUDGET_MS over a
// connection that is not reset, and the Worker must stay within MAX_RSS and still serve normally
// afterwards. A failure prints fast-check's shrunk counterexample and how to replay it
// (FUZZ_SEED=<seed> FUZZ_ROUTE=<route>; FUZZ_RUNS=<n> per route to widen it).

/**
 * The slowest answer allowed. The routes that wait in the request on a caller's say-so are bounded
 * to 5 s (a signal wait, a sink's or a workflow's retries); over 9 runs of this file alone, with
 * different seeds, the slowest answer was 1.9–5.0 s, those waits included. Beside three other test
 * files (npm test), the heaviest legitimate request, 40 MB put to the local R2 by
 * /r2/multipart/benchmark, took 9.4 s. Before the bounds, answers took 13 s, 100 s and for ever, and
 * at their declared maximum (the boundary requests) longer still.
 */
const BUDGET_MS = 15_000;
/** workerd's resident memory at most, during and after: the same 9 runs peaked at 286–467 MB (1,192 MB before the ring bound). */
const MAX_RSS = 1_024 * 1024 * 1024;
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const SEED = Number(process.env.FUZZ_SEED ?? 20261208);
/** Only the routes whose `METHOD /path` matches (a failure's replay: FUZZ_ROUTE='^GET /processes/search$'). */
const ONLY = process.env.FUZZ_ROUTE ? new RegExp(process.env.FUZZ_ROUTE) : null;
/** Routes fuzzed at once (each property runs its requests one after another). */
const CONCURRENCY = 4;

type Json = unknown;

// ---- hostile values ------------------------------------------------------------------------------

const deep = (n: number): Json => {
  let v: Json = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? { a: v } : [v];
  return v;
};
const HOSTILE_VALUES: Json[] = [
  null, true, false, 0, -1, -0.5, 1.5, 2 ** 31, -(2 ** 31), 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, 5e-324,
  "", " ", "x".repeat(70_000), "\u0000", "\ud800", "\u202e\u200b", "🤖".repeat(500), "' OR 1=1 --", "%", "%%41", "../../etc", "__proto__", "1e10", "NaN", "-1",
  [], Array.from({ length: 12_000 }, (_, i) => i), Array.from({ length: 200 }, () => "x".repeat(400)), deep(40), deep(2_000),
  {}, { __proto__: null, constructor: { prototype: { polluted: 1 } } }, Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i])),
];
const hostileValue = fc.constantFrom(...HOSTILE_VALUES);
/** Query and path text that breaks a reader: numbers out of any range, not numbers, huge, odd, empty. */
const HOSTILE_TEXT = ["", "-1", "0", "1e10", "-1e10", "1e308", "NaN", "Infinity", "-Infinity", "0x10", "1.5", "9007199254740993", "true", "null", "x".repeat(5_000), "\u0000", "%00", "%", "../..", "é🤖\u202e", "a,b,,c", " 1"];
const hostileText = fc.constantFrom(...HOSTILE_TEXT);
/** Bodies that are not the JSON a route reads. */
const RAW_BODIES = ["{", "[1,]", "NaN", "{\"a\":1}}", "\u0000", "[".repeat(200_000) + "]".repeat(200_000), `{"a":${"1".repeat(400)}}`, JSON.stringify("x".repeat(1_000_000)), "null", "12", "\"s\""];

// ---- values of a declared shape ------------------------------------------------------------------

const MAX_SAMPLE = 24;
const shapeOf = (s: Schema<unknown>): Shape => s.shape;

/** Values a schema accepts (or nearly: a pattern's or a parsed field's may still be refused, which is fine). */
function valid(schema: Schema<unknown>, text: boolean): fc.Arbitrary<Json> {
  const shape = shapeOf(schema);
  switch (shape.kind) {
    case "string": {
      const max = Math.min(shape.max, MAX_SAMPLE);
      if (shape.pattern) return fc.stringMatching(shape.pattern).filter((x) => x.length >= shape.min && x.length <= shape.max).map((x) => x.slice(0, shape.max));
      return fc.string({ minLength: Math.min(shape.min, max), maxLength: Math.max(max, shape.min), unit: "grapheme" });
    }
    case "number": {
      const lo = Math.max(shape.min, -1e6);
      const hi = Math.min(shape.max, 1e6);
      const n = shape.integer ? fc.integer({ min: Math.ceil(lo), max: Math.max(Math.ceil(lo), Math.floor(hi)) }) : fc.double({ min: lo, max: Math.max(lo, hi), noNaN: true, noDefaultInfinity: true });
      const finite = [shape.min, shape.max].filter(Number.isFinite);
      const num = finite.length ? fc.oneof(n, fc.constantFrom(...finite)) : n;
      return shape.text ? num.map(String) : num;
    }
    case "boolean": return shape.text ? fc.constantFrom("true", "false") : fc.boolean();
    case "value": return fc.jsonValue({ maxDepth: 2 });
    case "scalar": return fc.oneof(fc.string({ maxLength: MAX_SAMPLE }), fc.integer(), fc.constant(null));
    case "record": return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 });
    case "literal": return shape.values.length ? fc.constantFrom(...shape.values) : fc.constant("none");
    case "optional": case "default": return fc.option(valid(shape.inner, text), { nil: undefined, freq: 3 });
    case "array": return fc.array(valid(shape.item, text), { minLength: shape.min, maxLength: Math.min(shape.max, shape.min + 3) });
    case "list": return fc.array(valid(shape.item, true), { minLength: shape.repeated ? 1 : 0, maxLength: Math.min(shape.max, 3) }).map((a) => (shape.repeated ? a : a.join(",")));
    case "union": return shape.options.length ? fc.oneof(...shape.options.map((o) => valid(o, text))) : fc.jsonValue({ maxDepth: 1 });
    case "parsed": return shape.example !== undefined ? fc.constant(shape.example) : fc.jsonValue({ maxDepth: 2 });
    case "absent": return fc.constant(undefined);
    case "tagged": return fc.oneof(...Object.values(shape.variants).map((v) => valid(v, text)));
    case "object": {
      const keys = Object.entries(shape.fields);
      if (keys.length === 0) return fc.constant({});
      return fc.tuple(...keys.map(([, f]) => valid(f, text))).map((vals) => Object.fromEntries(keys.map(([k], i) => [k, vals[i]]).filter(([, v]) => v !== undefined)));
    }
  }
}

/**
 * A value at one end of everything a schema declares: each number at its maximum (or minimum), an
 * unbounded one at ±1e10; each string at its longest (or shortest); arrays long. These run first on
 * every route (boundary values find what random draws, biased to small values, rarely reach).
 */
function extreme(schema: Schema<unknown>, end: "min" | "max", text: boolean, depth = 0): Json {
  const shape = shapeOf(schema);
  const hi = end === "max";
  // Large at the top, smaller below it: a request stays a few MB however the schemas nest.
  const wide = depth === 0 ? 64 : 4;
  switch (shape.kind) {
    case "string": return shape.pattern ? fc.sample(valid(schema, text), { numRuns: 1, seed: 1 })[0] : "x".repeat(hi ? Math.min(shape.max, depth === 0 ? 70_000 : 1_000) : shape.min);
    case "number": {
      const n = hi ? (Number.isFinite(shape.max) ? shape.max : 1e10) : Number.isFinite(shape.min) ? shape.min : -1e10;
      return shape.text ? String(n) : n;
    }
    case "boolean": return shape.text ? String(hi) : hi;
    case "value": case "record": return hi ? Object.fromEntries(Array.from({ length: depth === 0 ? 1_000 : 8 }, (_, i) => [`k${i}`, depth === 0 ? deep(20) : i])) : {};
    case "scalar": return hi ? "x".repeat(depth === 0 ? 70_000 : 1_000) : null;
    case "literal": return shape.values.length ? shape.values[hi ? shape.values.length - 1 : 0] : "none";
    case "optional": case "default": return extreme(shape.inner, end, text, depth);
    case "array": return Array.from({ length: hi ? Math.min(shape.max, wide) : shape.min }, () => extreme(shape.item, end, text, depth + 1));
    case "list": {
      const items = Array.from({ length: hi ? Math.min(shape.max, 8) : 1 }, () => extreme(shape.item, end, true, depth + 1));
      return shape.repeated ? items : items.join(",");
    }
    case "union": return shape.options.length ? extreme(shape.options[0] as Schema<unknown>, end, text, depth) : null;
    case "parsed": return shape.example ?? null;
    case "absent": return undefined;
    case "tagged": return extreme(Object.values(shape.variants)[0] as Schema<unknown>, end, text, depth);
    case "object": return Object.fromEntries(Object.entries(shape.fields).map(([k, f]) => [k, extreme(f, end, text, depth + 1)]).filter(([, v]) => v !== undefined));
  }
}

/** Every place in a JSON value, as a path of keys, the root first. */
function places(value: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(value)) value.slice(0, 8).forEach((v, i) => places(v, [...at, i], out));
  else if (value && typeof value === "object") Object.entries(value).slice(0, 16).forEach(([k, v]) => places(v, [...at, k], out));
  return out;
}

/** `value` with the place at `where` replaced (or, for "delete", removed; for "add", given an unknown key). */
function mutate(value: Json, pick: number, action: "replace" | "delete" | "add", hostile: Json): Json {
  const all = places(value);
  const path = all[pick % all.length] as Array<string | number>;
  if (path.length === 0) return action === "replace" ? hostile : action === "add" && value && typeof value === "object" && !Array.isArray(value) ? { ...value, "unknown-key": hostile } : hostile;
  const copy = structuredClone(value) as Record<string | number, Json>;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (action === "delete" && !Array.isArray(parent)) delete parent[last];
  else if (action === "add" && parent[last] && typeof parent[last] === "object" && !Array.isArray(parent[last])) (parent[last] as Record<string, Json>)["unknown-key"] = hostile;
  else parent[last] = hostile;
  return copy;
}

// ---- requests ------------------------------------------------------------------------------------

interface Req { method: string; path: string; query: Array<[string, string]>; body?: string }

/**
 * A namespace the route's feature serves: its first family, or for a feature served everywhere (or
 * on unclaimed names) one of its own, so that the local-only hooks that destroy or reset an object
 * (coldstart's /object/destroy) never race another feature's requests in flight on that object.
 */
function namespaceOf(reg: Registration): string {
  const served = FEATURES.find((f) => f.name === reg.feature)?.serves ?? [EVERY];
  const first = served.find((n) => n !== EVERY && n !== UNCLAIMED);
  return first ?? `fuzz-${reg.feature}`;
}

/**
 * Answers a request asks for: a 503 from a replica or primary whose failure the request itself
 * simulates (`simulateReplicaFailure=true`, `simulateFailure=primary`, POST /simulate/...).
 */
const asked = (r: Req, status: number): boolean =>
  status === 503 && (/simulate/i.test(r.path) || r.query.some(([k]) => /^simulate/i.test(k)) || /"simulate/i.test(r.body ?? ""));

function requests(reg: Registration): fc.Arbitrary<Req> {
  const input: Declared = reg.input;
  const ns = namespaceOf(reg);
  const method = reg.method === "ALL" ? "POST" : reg.method;
  const paramNames = Object.keys(input.params ?? {});
  const paramArb = fc.tuple(...paramNames.map((n) => fc.oneof({ weight: 3, arbitrary: valid((input.params as Record<string, Schema<unknown>>)[n] as Schema<unknown>, true).map(String) }, { weight: 1, arbitrary: hostileText })));
  const queryFields = Object.entries(input.query ?? {});
  const queryArb = fc.tuple(
    ...queryFields.map(([, f]) => fc.oneof({ weight: 3, arbitrary: valid(f, true) }, { weight: 1, arbitrary: hostileText }, { weight: 1, arbitrary: fc.constant(undefined) })),
    fc.option(fc.tuple(fc.string({ maxLength: 8 }), hostileText), { nil: undefined }),
  );
  const bodyArb: fc.Arbitrary<string | undefined> = method === "GET" || method === "HEAD"
    ? fc.constant(undefined)
    : fc.oneof(
        { weight: 6, arbitrary: fc.tuple(input.body ? valid(input.body, false) : fc.jsonValue({ maxDepth: 2 }), fc.nat(), fc.constantFrom("replace", "delete", "add") as fc.Arbitrary<"replace" | "delete" | "add">, hostileValue, fc.nat(4)).map(([v, pick, action, h, keep]) => JSON.stringify(keep === 0 ? v : mutate(v, pick, action, h)) ?? "") },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      );
  return fc.record({ params: paramArb, query: queryArb, body: bodyArb }).map(({ params, query, body }) => {
    let i = 0;
    const path = reg.path.replace(/:(\w+)\+?/g, () => encodeURIComponent(String(params[i++] ?? "x")).replace(/%2F/gi, "/")) || "/";
    const q: Array<[string, string]> = [];
    queryFields.forEach(([name], k) => {
      const v = query[k];
      if (v === undefined) return;
      if (Array.isArray(v)) for (const x of v) q.push([name, String(x)]);
      else q.push([name, String(v)]);
    });
    const extra = query[queryFields.length] as [string, string] | undefined;
    if (extra) q.push(extra);
    return { method, path: `/@${ns}${path.startsWith("/") ? path : `/${path}`}`, query: q, body };
  });
}

/** The two boundary requests of a route: every declared value at its maximum, then at its minimum. */
function edgeRequests(reg: Registration): Req[] {
  const input: Declared = reg.input;
  const method = reg.method === "ALL" ? "POST" : reg.method;
  return (["max", "min"] as const).map((end) => {
    const params = Object.fromEntries(Object.entries(input.params ?? {}).map(([k, s]) => [k, String(extreme(s, end, true) ?? "x")]));
    const path = reg.path.replace(/:(\w+)\+?/g, (_, n: string) => encodeURIComponent(params[n] || "x").slice(0, 2_000)) || "/";
    const query: Array<[string, string]> = Object.entries(input.query ?? {}).flatMap(([k, s]) => {
      const v = extreme(s, end, true);
      return v === undefined ? [] : Array.isArray(v) ? v.map((x) => [k, String(x)] as [string, string]) : [[k, String(v)] as [string, string]];
    });
    const body = method === "GET" || method === "HEAD" || !input.body ? undefined : JSON.stringify(extreme(input.body, end, false));
    return { method, path: `/@${namespaceOf(reg)}${path.startsWith("/") ? path : `/${path}`}`, query, body };
  });
}

// ---- the Worker ----------------------------------------------------------------------------------

let worker: LocalTarget;
let peakRss = 0;

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function send(r: Req): Promise<{ status: number; ms: number; text: string }> {
  const url = new URL(`http://${worker.address}${r.path}`);
  for (const [k, v] of r.query) url.searchParams.append(k, v);
  const started = performance.now();
  const res = await fetch(url, { method: r.method, body: r.body, headers: r.body === undefined ? {} : { "content-type": "application/json" }, signal: AbortSignal.timeout(BUDGET_MS * 2) });
  const text = await res.text();
  peakRss = Math.max(peakRss, rssOf(worker.pid));
  return { status: res.status, ms: performance.now() - started, text };
}

const show = (r: Req): string => `${r.method} ${r.path}${r.query.length ? `?${new URLSearchParams(r.query).toString().slice(0, 300)}` : ""}${r.body === undefined ? "" : ` body ${r.body.length > 300 ? `${r.body.slice(0, 300)}… (${r.body.length} chars)` : r.body}`}`;

before(async () => {
  worker = await startWorker();
});
after(() => worker?.stop());

describe("the reference Worker under hostile input", () => {
  it("answers every route's hostile requests below 500, in time, with memory bounded, and serves normally afterwards", async (t) => {
    const regs = registrations(FEATURES).filter((r) => r.path !== "*");
    const started = Date.now();
    let sent = 0;
    let slowest = { ms: 0, what: "" };
    const failures: string[] = [];
    const queue = [...regs.entries()].filter(([, r]) => !ONLY || ONLY.test(`${r.method} ${r.path}`));
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [i, reg] = next;
        const out = await fc.check(fc.asyncProperty(requests(reg), async (r) => {
          sent++;
          let res;
          try {
            res = await send(r);
          } catch (err) {
            throw new Error(`no answer (${(err as Error).message}) to ${show(r)}`);
          }
          if (res.ms > slowest.ms) slowest = { ms: res.ms, what: show(r).slice(0, 160) };
          if (res.status >= 500 && !asked(r, res.status)) throw new Error(`${res.status} ${res.text.slice(0, 300)} for ${show(r)}`);
          if (res.ms > BUDGET_MS) throw new Error(`${res.ms.toFixed(0)} ms (budget ${BUDGET_MS}) for ${show(r)}`);
        }), { numRuns: RUNS, seed: SEED + i, endOnFailure: false, interruptAfterTimeLimit: 120_000, examples: edgeRequests(reg).map((r) => [r]) });
        if (out.failed) failures.push(`${reg.method} ${reg.path} [${reg.feature}] (replay: FUZZ_SEED=${SEED} FUZZ_ROUTE='^${reg.method} ${reg.path}$'): shrunk to ${(out.errorInstance as Error)?.message ?? fc.stringify(out.counterexample)}`);
      }
    }));
    measured(t, "routes fuzzed", `${regs.length} (the route list has ${registrations(FEATURES).length})`);
    measured(t, "requests sent", `${sent} in ${((Date.now() - started) / 1000).toFixed(1)} s: per route 2 at its declared bounds, ${RUNS} generated, and shrinking`);
    measured(t, "slowest answer", `${slowest.ms.toFixed(0)} ms: ${slowest.what}`);
    measured(t, "workerd peak RSS", `${(peakRss / 1024 / 1024).toFixed(0)} MB`);
    assert.deepEqual(failures, [], `${failures.length} route(s) failed:\n${failures.join("\n")}`);
    assert.ok(peakRss < MAX_RSS, `workerd's RSS peaked at ${(peakRss / 1024 / 1024).toFixed(0)} MB; the bound is ${MAX_RSS / 1024 / 1024} MB`);
    // Still serving: the health route, a write and a read of the cache namespace.
    assert.equal((await send({ method: "GET", path: "/health", query: [] })).status, 200);
    const set = await send({ method: "POST", path: "/@cache/cache/set", query: [], body: JSON.stringify({ key: "after-fuzz", value: 1 }) });
    assert.equal(set.status, 201, set.text);
    const got = await send({ method: "GET", path: "/@cache/cache/get", query: [["key", "after-fuzz"]] });
    assert.equal(got.status, 200, got.text);
    assert.equal((JSON.parse(got.text) as { value: unknown }).value, 1);
  });
});

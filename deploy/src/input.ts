import type { IRequest } from "itty-router";
import { HttpError } from "./http";
import { q, s, type Infer, type ObjectOf, type Schema } from "./schema";

export { q, s } from "./schema";
export type { Infer } from "./schema";

// A route declares all its input: its body, its query string and its path parameters, each with
// bounds, as Hono's validator middleware does:
//
//   router.get("/events/recent", withInput({ query: { limit: q.int({ min: 1, max: 1000 }) } }, ({ query }) => …))
//
// The input is read and checked before the handler runs; anything out of bounds gets one 400 naming
// the route and each parameter that is wrong (`query.limit: expected an integer from 1 to 1000`),
// and the handler sees typed data only. What a route declares is also kept on its handler (`INPUT`)
// for the route list and the fuzzer (test/integration/fuzz.test.ts), which derive requests from it.

/** A request body larger than this is refused (413) before it is parsed. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

type Fields = Record<string, Schema<unknown>>;

/**
 * A path parameter's bound when its route declares no type for it: the pattern declares the name
 * (`/things/:id`), the router the size. A route that needs a number or a pattern declares `params`.
 */
export const PARAM_MAX = 1024;

const NAMES = new Map<string, string[]>();
/** The parameter names of a route pattern (`/files/:bucket/:key+` → bucket, key); read once per isolate (every object registers every route). */
export const paramNames = (pattern: string): string[] => {
  let names = NAMES.get(pattern);
  if (!names) NAMES.set(pattern, (names = pattern.includes(":") ? [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1] as string) : []));
  return names;
};

/** What a route's path parameters are, as checked: the declared types, and the router's bound for the rest. */
export function paramsDeclared(pattern: string, declared: Fields | undefined): Fields {
  return Object.fromEntries(paramNames(pattern).map((n) => [n, declared?.[n] ?? s.string({ max: PARAM_MAX })]));
}

/** Refuses (400) a path parameter over PARAM_MAX characters, before any route sees it. */
export function boundParams(request: IRequest, route: string, names: readonly string[]): void {
  for (const name of names) {
    const raw = request.params?.[name];
    if (raw !== undefined && raw.length > PARAM_MAX) throw new HttpError(400, `${route}: path.${name}: expected at most ${PARAM_MAX} characters`);
  }
}

/** What a route declares: a body schema; query and path parameters by name. */
export interface Declared {
  body?: Schema<unknown>;
  query?: Fields;
  params?: Fields;
}

/** What the handler gets: each part checked and typed (a part not declared is empty). */
export type Input<D extends Declared> = {
  body: D["body"] extends Schema<unknown> ? Infer<D["body"]> : undefined;
  query: D["query"] extends Fields ? ObjectOf<D["query"]> : Record<string, never>;
  params: D["params"] extends Fields ? ObjectOf<D["params"]> : Record<string, never>;
};

/** The declaration a route handler carries. */
export const INPUT = Symbol.for("perfdo.input");

export interface DeclaredHandler {
  (request: IRequest): Promise<Response | undefined>;
  [INPUT]: Declared & { shared?: boolean };
}

const PARSED = Symbol("perfdo.body");

const route = (request: IRequest): string => `${request.method} ${new URL(request.url).pathname}`;

/**
 * The request's JSON body, parsed once (a later feature on a shared path reads the same value): an
 * empty body is `{}`; one too large is a 413 and malformed JSON a 400, thrown as HttpError.
 */
async function parsedBody(request: IRequest): Promise<unknown> {
  const cached = request as IRequest & { [PARSED]?: unknown };
  if (!(PARSED in cached)) {
    const declared = Number((request as unknown as Request).headers.get("content-length") ?? 0);
    if (declared > MAX_BODY_BYTES) throw new HttpError(413, `${route(request)}: the body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`);
    const text = await (request as unknown as Request).text();
    if (text.length > MAX_BODY_BYTES) throw new HttpError(413, `${route(request)}: the body is over ${MAX_BODY_BYTES} bytes`);
    try {
      cached[PARSED] = text.length === 0 ? {} : (JSON.parse(text) as unknown);
    } catch {
      throw new HttpError(400, `${route(request)}: the body is not valid JSON`);
    }
  }
  return cached[PARSED];
}

/** The query string as one text value per name (the first, when a name repeats; all of them for a `q.repeated` field). */
function queryOf(request: IRequest, fields: Fields): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URL(request.url).searchParams) {
    const field = Object.hasOwn(fields, k) ? fields[k] : undefined;
    if (field?.shape.kind === "list" && field.shape.repeated) ((out[k] ??= []) as string[]).push(v);
    else if (!Object.hasOwn(out, k)) out[k] = v;
  }
  return out;
}

/** Path parameters, percent-decoded (a stray "%" is kept as it is: part of the id, not an error). */
function paramsOf(request: IRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(request.params ?? {})) {
    try {
      out[k] = decodeURIComponent(raw);
    } catch {
      out[k] = raw;
    }
  }
  return out;
}

/** Checks the declared parts; `undefined` with issues pushed when any is wrong. */
/** A route's reader of its declared input: the object schemas built once, when the route is registered, not per request. */
function reader(declared: Declared): (request: IRequest, issues: string[]) => Promise<Input<Declared>> {
  const params = declared.params ? s.object(declared.params) : null;
  const query = declared.query ? s.object(declared.query) : null;
  return async (request, issues) => {
    const out = { body: undefined, query: {}, params: {} } as { body: unknown; query: unknown; params: unknown };
    if (params) out.params = params.check(paramsOf(request), "path", issues);
    if (query) out.query = query.check(queryOf(request, declared.query as Fields), "query", issues);
    if (declared.body) out.body = declared.body.check(await parsedBody(request), "", issues);
    return out as Input<Declared>;
  };
}

type Handler<D extends Declared> = (input: Input<D>, request: IRequest) => Response | Promise<Response>;

/** The route's handler, run with its declared input checked; input that fails is answered 400 here. */
export function withInput<D extends Declared>(declared: D, handler: Handler<D>): DeclaredHandler {
  const read = reader(declared);
  const run = async (request: IRequest): Promise<Response> => {
    const issues: string[] = [];
    const input = await read(request, issues);
    if (issues.length > 0) throw new HttpError(400, `${route(request)}: ${issues.join("; ")}`);
    return handler(input as Input<D>, request);
  };
  return Object.assign(run, { [INPUT]: declared });
}

/** `?limit=`: 1 to `max`, `fallback` when absent (a list route's page size). */
export const limitQuery = (fallback = 100, max = 1000) => ({ limit: s.withDefault(q.int({ min: 1, max }), fallback) });
/** `?name=` for each equality filter a list route takes: text of at most 256 characters. */
export const filterQuery = <const K extends string>(...names: K[]): Record<K, Schema<string | undefined>> =>
  Object.fromEntries(names.map((n) => [n, s.optional(q.string())])) as Record<K, Schema<string | undefined>>;

/** A route with a body only: `withBody(schema, (body, request) => …)`. */
export function withBody<S extends Schema<unknown>>(schema: S, handler: (body: Infer<S>, request: IRequest) => Response | Promise<Response>): DeclaredHandler {
  return withInput({ body: schema }, (input, request) => handler(input.body as Infer<S>, request));
}

/** A route with a query string only: `withQuery({ limit: q.int(…) }, (query, request) => …)`. */
export function withQuery<F extends Fields>(fields: F, handler: (query: ObjectOf<F>, request: IRequest) => Response | Promise<Response>): DeclaredHandler {
  return withInput({ query: fields }, (input, request) => handler(input.query as ObjectOf<F>, request));
}

/**
 * For a path two features share (declared in `shares`): the handler runs when the input fits, and
 * any other falls through to the next feature, which checks the same parsed body against its own
 * schema (replicate's `POST /write {key, value}` before the shard coordinator's `{id, data}`).
 */
export function whenInput<D extends Declared>(declared: D, handler: Handler<D>): DeclaredHandler {
  const read = reader(declared);
  const run = async (request: IRequest): Promise<Response | undefined> => {
    const issues: string[] = [];
    const input = await read(request, issues);
    return issues.length > 0 ? undefined : handler(input as Input<D>, request);
  };
  return Object.assign(run, { [INPUT]: { ...declared, shared: true } });
}

export function whenBody<S extends Schema<unknown>>(schema: S, handler: (body: Infer<S>, request: IRequest) => Response | Promise<Response>): DeclaredHandler {
  return whenInput({ body: schema }, (input, request) => handler(input.body as Infer<S>, request));
}

/** `value` checked by `schema`: typed, or one line of what is wrong (for a body whose shape depends on another field). */
export function check<S extends Schema<unknown>>(schema: S, value: unknown): Infer<S> | string {
  const issues: string[] = [];
  const out = schema.check(value, "", issues);
  return issues.length > 0 ? issues.join("; ") : (out as Infer<S>);
}

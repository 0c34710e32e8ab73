import type { IRequest } from "itty-router";
import { fail } from "./http";
import type { Infer, Schema } from "./schema";

export { s } from "./schema";
export type { Infer } from "./schema";

// A route declares its input: `router.post("/cache/set", withBody(SetBody, (body, request) => …))`.
// The body is read and checked against the route's schema (./schema.ts) before the handler runs;
// malformed input gets one 400 naming the route and each field that is wrong, and the handler sees
// typed data only (as Hono's validator middleware does).

const PARSED = Symbol("perfdo.body");

/**
 * The request's JSON body, parsed once (a later feature on a shared path reads the same value): an
 * empty body is `{}`, malformed JSON the 400 reply.
 */
async function parsedBody(request: IRequest): Promise<unknown> {
  const cached = request as IRequest & { [PARSED]?: unknown };
  if (!(PARSED in cached)) {
    const text = await (request as unknown as Request).text();
    try {
      cached[PARSED] = text.length === 0 ? {} : (JSON.parse(text) as unknown);
    } catch {
      cached[PARSED] = fail(400, `${request.method} ${new URL(request.url).pathname}: the body is not valid JSON`);
    }
  }
  return cached[PARSED];
}

type Handler<S> = (body: Infer<S>, request: IRequest) => Response | Promise<Response>;

/** The route's handler, run with the body checked by `schema`; a body that fails it is answered 400 here. */
export function withBody<S extends Schema<unknown>>(schema: S, handler: Handler<S>) {
  return async (request: IRequest): Promise<Response> => {
    const raw = await parsedBody(request);
    if (raw instanceof Response) return raw;
    const issues: string[] = [];
    const body = schema.check(raw, "", issues);
    if (issues.length > 0) return fail(400, `${request.method} ${new URL(request.url).pathname}: ${issues.join("; ")}`);
    return handler(body as Infer<S>, request);
  };
}

/**
 * For a path two features share (declared in `shares`): the handler runs when the body fits
 * `schema`, and any other body falls through to the next feature, which checks the same parsed body
 * against its own schema (replicate's `POST /write {key, value}` before the shard coordinator's
 * `{id, data}`).
 */
export function whenBody<S extends Schema<unknown>>(schema: S, handler: Handler<S>) {
  return async (request: IRequest): Promise<Response | undefined> => {
    const raw = await parsedBody(request);
    if (raw instanceof Response) return raw;
    const issues: string[] = [];
    const body = schema.check(raw, "", issues);
    return issues.length > 0 ? undefined : handler(body as Infer<S>, request);
  };
}

/** `value` checked by `schema`: typed, or one line of what is wrong (for a body whose shape depends on another field). */
export function check<S extends Schema<unknown>>(schema: S, value: unknown): Infer<S> | string {
  const issues: string[] = [];
  const out = schema.check(value, "", issues);
  return issues.length > 0 ? issues.join("; ") : (out as Infer<S>);
}

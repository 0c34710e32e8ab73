import type { IRequest } from "itty-router";
import { fail, readJson } from "./http";
import type { Infer, Schema } from "./schema";

export { s } from "./schema";

// A route declares its input: `router.post("/cache/set", withBody(SetBody, (body, request) => …))`.
// The body is read and checked against the route's schema (./schema.ts) before the handler runs;
// malformed input gets one 400 naming the route and each field that is wrong, and the handler sees
// typed data only (as Hono's validator middleware does).

/** The route's handler, run with the body checked by `schema`; a body that fails it is answered 400 here. */
export function withBody<S extends Schema<unknown>>(schema: S, handler: (body: Infer<S>, request: IRequest) => Response | Promise<Response>) {
  return async (request: IRequest): Promise<Response> => {
    const raw = await readJson(request);
    if (raw instanceof Response) return raw;
    const issues: string[] = [];
    const body = schema.check(raw === undefined ? {} : raw, "", issues);
    if (issues.length > 0) return fail(400, `${request.method} ${new URL(request.url).pathname}: ${issues.join("; ")}`);
    return handler(body as Infer<S>, request);
  };
}

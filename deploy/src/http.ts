import { isObject } from "./values";

export { isObject };

// Response helpers shared by every route module. Every reply is JSON: the contract's clients parse
// each body, so a non-JSON body would count as an error on their side.

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function fail(status: number, message: string): Response {
  return json({ error: message }, status);
}


/**
 * A reply thrown from anywhere in a route (a helper that finds no table, a body that fails its
 * schema), as Hono's HTTPException is: the object answers it as `fail(status, message)`, so a helper
 * returns its value and never `T | Response`.
 */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Throws the reply: `table ?? refuse(404, "no table t")`. */
export function refuse(status: number, message: string): never {
  throw new HttpError(status, message);
}

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

/** Parses a JSON request body; an empty body is `undefined`, a malformed one a 400 reply. */
export async function readJson(request: Request): Promise<unknown | Response> {
  const text = await request.text();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail(400, "request body is not valid JSON");
  }
}

import { isObject } from "./values";

export { isObject };

/** A JSON object body ({} when empty or not an object), or the 400 reply for malformed JSON. */
export async function readObject(request: Request): Promise<Record<string, unknown> | Response> {
  const body = await readJson(request);
  if (body instanceof Response) return body;
  return isObject(body) ? body : {};
}

/** A batch body: a JSON array, or an object holding one under `key`; else a 400 naming the route. */
export async function readBatch(request: Request, key: string, route: string): Promise<unknown[] | Response> {
  const body = await readJson(request);
  if (body instanceof Response) return body;
  if (Array.isArray(body)) return body;
  if (isObject(body) && Array.isArray(body[key])) return body[key] as unknown[];
  return fail(400, `${route} needs a JSON array of ${key}`);
}

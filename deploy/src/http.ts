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

export { isObject } from "./values";

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


// Who may call a deployed Worker. Every route answers whoever reaches it, destructive ones included
// (delete, compact, demote, reset), so a deployment refuses any request without its bearer token: the
// `PERFDO_TOKEN` secret (`wrangler secret put PERFDO_TOKEN`, or `perfdo deploy` with PERFDO_TOKEN
// set). A deployment with no secret refuses everything and says why (fail closed). The embedded
// local target (PERFDO_LOCAL=1, loopback only) needs none unless one is given to it.
import { fail } from "./http";
import type { Env } from "./env";

const encoder = new TextEncoder();

/**
 * Constant-time equality (Workers' crypto.subtle.timingSafeEqual), so the comparison leaks no prefix;
 * and no early return on a length mismatch, which would time how long the token is: what was sent is
 * compared at the token's own length (cut or zero-padded), and the lengths only after that.
 */
function sameSecret(given: string, expected: string): boolean {
  const want = encoder.encode(expected);
  const got = encoder.encode(given);
  const atLength = new Uint8Array(want.byteLength);
  atLength.set(got.subarray(0, want.byteLength));
  const equal = (crypto.subtle as unknown as { timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean }).timingSafeEqual(atLength, want);
  return equal && got.byteLength === want.byteLength;
}

/** Null when the request may go on; otherwise the refusal to answer with. */
export function refusal(request: Request, env: Env): Response | null {
  const expected = env.PERFDO_TOKEN;
  if (!expected) {
    if (env.PERFDO_LOCAL === "1") return null;
    return fail(503, "this Worker has no PERFDO_TOKEN secret, so it refuses every request: set one with `npx wrangler secret put PERFDO_TOKEN -c deploy/wrangler.jsonc`");
  }
  const header = request.headers.get("authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  if (given && sameSecret(given, expected)) return null;
  const refused = fail(401, given ? "the bearer token does not match this Worker's PERFDO_TOKEN" : "send Authorization: Bearer <PERFDO_TOKEN> (the harness sends PERFDO_TOKEN from its environment)");
  refused.headers.set("www-authenticate", 'Bearer realm="perfdo"');
  return refused;
}

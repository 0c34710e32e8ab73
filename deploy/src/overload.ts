// A Durable Object refusing work: the platform throws an Error with `overloaded: true` at the caller,
// with one of four messages (Durable Objects troubleshooting, "Durable Object is overloaded"). The
// Worker answers it as 503 with the kind in a header and the body, so a benchmark can say which
// overload it hit rather than count 5xx.

export const OVERLOADS = {
  "queue-count": "Durable Object is overloaded. Too many requests queued.",
  "queue-bytes": "Durable Object is overloaded. Too much data queued.",
  "queue-time": "Durable Object is overloaded. Requests queued for too long.",
  rate: "Durable Object is overloaded. Too many requests for the same object within a 10 second window.",
} as const;

export type OverloadKind = keyof typeof OVERLOADS;
export const OVERLOAD_HEADER = "x-perfdo-overload";

/** The kind of an overload error by its message; "other" for an overload message not in the list. */
export function overloadKind(err: unknown): OverloadKind | "other" | null {
  if (!(err instanceof Error) || (err as { overloaded?: unknown }).overloaded !== true) return null;
  const hit = (Object.entries(OVERLOADS) as Array<[OverloadKind, string]>).find(([, message]) => err.message.includes(message.slice("Durable Object is overloaded. ".length)));
  return hit ? hit[0] : "other";
}

/** The platform's overload error, as thrown (the local fault switch throws exactly this). */
export const overloadError = (kind: OverloadKind): Error => Object.assign(new Error(OVERLOADS[kind]), { overloaded: true, retryable: false });

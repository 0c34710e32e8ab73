// Staged-clone tokens, free of Workers types so the expiry rule is unit-testable in Node.

export type TokenState = "valid" | "expired" | "committed" | "aborted";

export const DEFAULT_TOKEN_TTL_MS = 30_000;
export const MAX_TOKEN_TTL_MS = 24 * 3_600_000;

/** A token is usable only while pending and strictly before its expiry. */
export function tokenState(status: string, expiresAtMs: number, nowMs: number): TokenState {
  if (status === "committed" || status === "aborted") return status;
  return nowMs < expiresAtMs ? "valid" : "expired";
}

/** `tokenTtl` as the tests send it (ms), clamped to a sane range. */
export function tokenTtl(input: unknown): number {
  return typeof input === "number" && Number.isFinite(input) && input > 0 ? Math.min(input, MAX_TOKEN_TTL_MS) : DEFAULT_TOKEN_TTL_MS;
}

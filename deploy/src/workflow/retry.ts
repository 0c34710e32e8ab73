// Retry policies: fixed or exponential, capped, with optional full jitter. Pure.

export interface RetryPolicy {
  type: "fixed" | "exponential";
  maxAttempts: number;
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  jitter: boolean;
}

/** The delay before retry `n` (1-based): fixed, or initial·multiplier^(n-1) capped; with jitter, uniform in [0, that]. */
export const retryDelay = (p: RetryPolicy, n: number, random = Math.random): number => {
  const base = p.type === "fixed" ? p.initialDelayMs : Math.min(p.maxDelayMs, p.initialDelayMs * p.multiplier ** (n - 1));
  return p.jitter ? Math.floor(random() * (base + 1)) : base;
};

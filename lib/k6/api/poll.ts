// Polls until a condition holds, bounded in tries and time (a load test must stop by itself).

import { sleep } from "k6";

export interface Polled<T> {
  value: T;
  ok: boolean;
  /** From the first call to the answer that satisfied `done` (or to giving up). */
  elapsedMs: number;
  tries: number;
}

export function pollUntil<T>(call: () => T, done: (value: T) => boolean, intervalMs = 10, timeoutMs = 5_000): Polled<T> {
  const started = Date.now();
  let tries = 0;
  for (;;) {
    const value = call();
    tries++;
    const elapsedMs = Date.now() - started;
    if (done(value)) return { value, ok: true, elapsedMs, tries };
    if (elapsedMs + intervalMs > timeoutMs) return { value, ok: false, elapsedMs, tries };
    sleep(intervalMs / 1000);
  }
}

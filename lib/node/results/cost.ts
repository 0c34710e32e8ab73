import type { BenchmarkResult } from "./schema";

// What a run would cost on the platform at list price (Workers Paid), before the pricing plan's included
// usage: every request passes the Worker and reaches one Durable Object; every object the run
// touched is billed duration for the run (128 MB, awake the whole time: an upper bound, since an
// object that can hibernate between requests is not billed idle time); incoming WebSocket messages
// are billed as Durable Object requests at 20:1. Prices as published on the date below
// (docs/results.md, "Cost"); a change of price is a change here.

export const PRICES = {
  asOf: "2026-12-01",
  workerRequestsPerMillion: 0.3,
  doRequestsPerMillion: 0.15,
  doGbSecondsPerMillion: 12.5,
  doMemoryGb: 0.128,
  websocketMessagesPerRequest: 20,
} as const;

export interface CostEstimate {
  workerRequests: number;
  doRequests: number;
  websocketMessages: number;
  objects: number;
  gbSeconds: number;
  usd: number;
}

/** WebSocket messages are the operations measured over a socket (ws.*-rtt: one incoming message each). */
const isSocketMessage = (r: BenchmarkResult): boolean => /^ws\..*rtt$/.test(r.name);
/** Not requests at all: a socket's held time, its handshake (counted as the upgrade request), replication lag. */
const isRequest = (r: BenchmarkResult): boolean => !isSocketMessage(r) && !/^ws\..*session$/.test(r.name) && !/\.lag$/.test(r.name);

export function estimateCost(results: readonly BenchmarkResult[]): CostEstimate | null {
  if (results.length === 0) return null;
  const workerRequests = results.filter(isRequest).reduce((n, r) => n + r.iterations, 0);
  const websocketMessages = results.filter(isSocketMessage).reduce((n, r) => n + r.iterations, 0);
  const doRequests = workerRequests + websocketMessages / PRICES.websocketMessagesPerRequest;
  const objects = new Set(results.map((r) => r.target)).size;
  const seconds = Math.max(...results.map((r) => r.durationSec));
  const gbSeconds = objects * seconds * PRICES.doMemoryGb;
  const usd =
    (workerRequests / 1e6) * PRICES.workerRequestsPerMillion + (doRequests / 1e6) * PRICES.doRequestsPerMillion + (gbSeconds / 1e6) * PRICES.doGbSecondsPerMillion;
  return { workerRequests, doRequests, websocketMessages, objects, gbSeconds, usd };
}

export function costLine(results: readonly BenchmarkResult[]): string | null {
  const c = estimateCost(results);
  if (!c) return null;
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  return (
    `cost at list price (Workers Paid, ${PRICES.asOf}; docs/results.md "Cost"): $${c.usd < 0.01 ? c.usd.toFixed(5) : c.usd.toFixed(2)} — ` +
    `${n(c.workerRequests)} Worker requests, ${n(c.doRequests)} Durable Object requests${c.websocketMessages > 0 ? ` (${n(c.websocketMessages)} WebSocket messages at 20:1)` : ""}, ` +
    `${c.gbSeconds.toFixed(1)} GB-s (${c.objects} object(s) awake for the run, 128 MB)`
  );
}

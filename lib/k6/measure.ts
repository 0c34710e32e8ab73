// Latencies that are not one HTTP request: replication lag (write on the primary → visible on a
// replica), WebSocket round trips. Recorded in the `perfdo_latency` Trend with the same tags as
// requests, so results turn each into an operation of its own, like any request.

import { Counter, Trend } from "k6/metrics";
import { announceHost, tagsFor, type OperationMeta } from "./client";

const latency = new Trend("perfdo_latency", true);

const failure = new Counter("perfdo_failure");

/** A measured operation that failed (a socket that never opened): counted in its error rate, with no latency. */
export function recordFailure(name: string, host: string, meta?: OperationMeta): void {
  announceHost(name, host);
  failure.add(1, tagsFor(name, meta));
}

export function recordLatency(name: string, host: string, ms: number, meta?: OperationMeta): void {
  announceHost(name, host);
  latency.add(ms, tagsFor(name, meta));
}

// Latencies that are not one HTTP request: replication lag (write on the primary → visible on a
// replica), WebSocket round trips. Recorded in the `perfdo_latency` Trend with the same tags as
// requests, so results turn each into an operation of its own, like any request.

import { Trend } from "k6/metrics";
import { announceHost, tagsFor, type OperationMeta } from "./client";

const latency = new Trend("perfdo_latency", true);

export function recordLatency(name: string, host: string, ms: number, meta?: OperationMeta): void {
  announceHost(name, host);
  latency.add(ms, tagsFor(name, meta));
}

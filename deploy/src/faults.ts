// The behaviours the local target can break on purpose (`PERFDO_FAULT`, `perfdo serve --fault`), each
// to prove that an E2E suite or a perf scenario's correctness checks catch it. One typed list: a
// route compares `ctx.fault` with a name from here, so a misspelt one fails the type-check.

export const FAULTS = {
  "fork-shares-state": "a fork's host is served by its source object, as if forks shared state",
  "cache-shallow-invalidate": "invalidate-cascade drops the key alone, not the entries depending on it",
  "temporal-drops-writes": "every third POST /temporal/put is acknowledged but not kept",
  "iceberg-no-pruning": "Iceberg queries read every data file and row group (no partition, bounds, statistics or bloom filter pruning)",
  "r2-unavailable": "every call to the Iceberg bucket fails, as an R2 outage would",
  "dedup-forgets": "transactions' dedup remembers no id, so duplicates and idempotent repeats run again",
  "cdc-drops-batch-tail": "POST /cdc/capture/batch acknowledges every event but logs all but the last",
  "timers-never-fire": "the object's alarm fires no timer",
  "ws-drops-every-tenth": "the echo socket leaves every message whose `i` ends in 9 unanswered",
  "pagerank-ignores-links": "the web crawl graph's PageRank counts no link, so every host gets the same score",
  "bloom-drops-every-tenth": "Iceberg bloom filters leave out every tenth value they are given, so a value added can be missed",
  "do-overloaded": "every other namespace request fails as an overloaded Durable Object does, the four kinds in turn",
} as const;

export type Fault = keyof typeof FAULTS;

export const isFault = (value: string): value is Fault => Object.prototype.hasOwnProperty.call(FAULTS, value);

/** The fault a local Worker was started with ("" for none); an unknown name is none. */
export const faultOf = (value: string | undefined): Fault | "" => (value && isFault(value) ? value : "");

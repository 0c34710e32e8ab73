import type { Feature } from "./feature";
import { actions } from "./routes/actions";
import { cache } from "./routes/cache";
import { columnar } from "./routes/columnar";
import { inverted } from "./routes/inverted";
import { temporal } from "./routes/temporal";
import { vector } from "./routes/vector";
import { cdc } from "./routes/cdc";
import { datasets } from "./routes/datasets";
import { coldstart } from "./routes/coldstart";
import { partitionRouter } from "./routes/router";
import { state } from "./routes/stream-state";
import { transactions } from "./routes/transactions";
import { watermarks } from "./routes/watermarks";
import { windows } from "./routes/windows";
import { activities } from "./routes/activities";
import { signals } from "./routes/signals";
import { timers } from "./routes/timers";
import { workflows } from "./routes/workflows";
import { compact } from "./routes/compact";
import { copy } from "./routes/copy";
import { dlq } from "./routes/dlq";
import { events } from "./routes/events";
import { lifecycle } from "./routes/lifecycle";
import { network } from "./routes/network";
import { objects } from "./routes/objects";
import { promote } from "./routes/promote";
import { relationships } from "./routes/relationships";
import { replicate } from "./routes/replicate";
import { search } from "./routes/search";
import { shard } from "./routes/shard";
import { targeting } from "./routes/targeting";
import { things } from "./routes/things";

// Every feature of the reference Worker, in the order their routes are tried: the one place a
// feature is added. Where two share a path, the earlier one answers what it recognises and the
// later one gets the rest; each such path is declared in a feature's `shares`
// (test/unit/worker-features.test.ts fails on an undeclared one).
export const FEATURES: readonly Feature[] = [
  targeting, // sharded./replicated. answer §4's targeting before anything else
  datasets, // naics./unspsc./onet./standards.: before shard, for standards.'s POST /query
  network,
  lifecycle,
  copy,
  compact,
  replicate, // before shard: its `POST /write {key, value}` before the coordinator's
  shard,
  promote, // before objects: its `POST /objects {id, data}` before the registry's
  things,
  relationships,
  actions,
  events,
  search,
  objects,
  dlq,
  // Advanced primitives (contract §6): cache., columnar., temporal., vector., inverted.
  cache,
  columnar,
  temporal,
  vector,
  inverted,
  // Streaming (contract §7), on streaming.perf.do.
  windows,
  watermarks,
  transactions,
  state,
  partitionRouter,
  cdc,
  // Workflow (contract §8), on workflow.perf.do.
  workflows,
  activities,
  signals,
  timers,
  // Cold start by database size (contract §9): local harness hooks.
  coldstart,
];

export const FEATURE_BY_NAME: ReadonlyMap<string, Feature> = new Map(FEATURES.map((f) => [f.name, f]));

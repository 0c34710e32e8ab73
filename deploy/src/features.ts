import type { Feature } from "./feature";
import { claimedFamilies } from "./namespaces";
import { actions } from "./features/actions";
import { cache } from "./features/cache";
import { columnar } from "./features/columnar";
import { inverted } from "./features/inverted";
import { temporal } from "./features/temporal";
import { vector } from "./features/vector";
import { cdc } from "./features/cdc";
import { datasets } from "./features/datasets";
import { iceberg } from "./features/iceberg";
import { coldstart } from "./features/coldstart";
import { partitionRouter } from "./features/partition-router";
import { state } from "./features/state";
import { transactions } from "./features/transactions";
import { watermarks } from "./features/watermarks";
import { windows } from "./features/windows";
import { activities } from "./features/activities";
import { signals } from "./features/signals";
import { timers } from "./features/timers";
import { workflows } from "./features/workflows";
import { compact } from "./features/compact";
import { copy } from "./features/copy";
import { dlq } from "./features/dlq";
import { events } from "./features/events";
import { lifecycle } from "./features/lifecycle";
import { network } from "./features/network";
import { objects } from "./features/objects";
import { promote } from "./features/promote";
import { relationships } from "./features/relationships";
import { replicate } from "./features/replicate";
import { search } from "./features/search";
import { shard } from "./features/shard";
import { targeting } from "./features/targeting";
import { things } from "./features/things";
import { items } from "./features/items";
import { webgraph } from "./features/webgraph";
import { standardsGraph } from "./features/standards-graph";
import { processes } from "./features/processes";
import { wikidata } from "./features/wikidata";
import { titles } from "./features/titles";
import { icebergIndexes } from "./features/iceberg-indexes";
import { icebergVectors } from "./features/iceberg-vectors";
import { searchManifest } from "./features/search-manifest";
import { icebergMetadata } from "./features/iceberg-metadata";
import { icebergPlanning } from "./features/iceberg-planning";
import { parquet } from "./features/parquet";
import { wikipedia } from "./features/wikipedia";
import { wikipediaGraph } from "./features/wikipedia-graph";
import { wiktionary, wiktionaryPartitions } from "./features/wiktionary";
import { onet } from "./features/onet";

// Every feature of the reference Worker, in the order their routes are tried: the one place a
// feature is added. Where two share a path, the earlier one answers what it recognises and the
// later one gets the rest; each such path is declared in a feature's `shares`
// (test/unit/worker-features.test.ts fails on an undeclared one).
export const FEATURES: readonly Feature[] = [
  targeting, // sharded./replicated. answer §4's targeting before anything else
  iceberg, // iceberg., and the point lookups of naics./unspsc. (from their Iceberg tables)
  // The indexes Iceberg readers skip data with, on iceberg.: bloom, range, inverted, vector, and the search manifest naming them.
  icebergIndexes,
  icebergVectors,
  searchManifest,
  icebergMetadata, // iceberg. and metadata.: metadata, manifest lists and manifests read and walked
  icebergPlanning, // iceberg.: pruning decisions from partition summaries, Puffin statistics files
  parquet, // iceberg.: Parquet files in the bucket, written and read
  datasets, // naics./unspsc./onet./standards.: before shard, for standards.'s POST /query
  onet, // onet. (onet-tools., onet-tasks.): tools, technologies, tasks and skills beside the datasets' tables
  network,
  lifecycle,
  copy,
  compact,
  replicate, // before shard: its `POST /write {key, value}` before the coordinator's
  shard,
  promote, // before objects: its `POST /objects {id, data}` before the registry's
  things,
  relationships,
  standardsGraph, // standards.: the datasets and relationships walked as one graph
  processes, // apqc.: the process classification hierarchy
  titles, // job-titles.: titles people write, mapped to occupations
  actions,
  events,
  search,
  objects,
  dlq,
  // Dataset families with a graph of their own: the web crawl graph (web., com.web.), Wikidata (wiki.).
  webgraph,
  wikidata,
  wikipedia, // wikipedia. and its partitions a.wikipedia … z.wikipedia: articles, categories, links, search
  wikipediaGraph,
  wiktionary, // wiktionary. and its partitions wiktionary-a … wiktionary-z: dictionary entries
  wiktionaryPartitions,
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
  // Cold start by database size (contract §9): local harness hooks; the first operations a fresh object serves.
  coldstart,
  items,
];

/** The namespace families features name: a namespace in none is UNCLAIMED (./namespaces.ts). */
export const CLAIMED: readonly string[] = claimedFamilies(FEATURES.map((f) => f.serves));

export const FEATURE_BY_NAME: ReadonlyMap<string, Feature> = new Map(FEATURES.map((f) => [f.name, f]));

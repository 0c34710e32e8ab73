// The core 7 stores on stores.perf.do (contract §5), one place for their paths and bodies: used by
// e2e/stores, perf/stores and stores/things. One factory per store, so a scenario builds (in every
// VU) only the calls it uses.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export function thingsApi(c: NamespaceClient) {
  const path = (id: string): string => `/things/${encodeURIComponent(id)}`;
  return {
    create: (thing: Record<string, unknown>, meta?: OperationMeta, name = "things.create"): JsonResponse => c.post(name, "/things", thing, meta),
    get: (id: string, meta?: OperationMeta, name = "things.get"): JsonResponse => c.get(name, path(id), meta),
    getVersion: (id: string, version: number): JsonResponse => c.get("things.get-version", `${path(id)}?version=${version}`),
    /** A merge patch (`?merge=true`): fields not named are kept. */
    merge: (id: string, patch: Record<string, unknown>): JsonResponse => c.patch("things.update", `${path(id)}?merge=true`, patch),
    versions: (id: string): JsonResponse => c.get("things.versions", `${path(id)}/versions`),
    list: (type: string, limit?: number): JsonResponse => c.get("things.list", `/things?type=${type}${limit ? `&limit=${limit}` : ""}`),
    batch: (things: Array<Record<string, unknown>>): JsonResponse => c.post("things.batch", "/things/batch", things),
    remove: (id: string): JsonResponse => c.del("things.delete", path(id)),
  };
}

export function relationshipsApi(c: NamespaceClient) {
  return {
    create: (verb: string, from: string, to: string): JsonResponse => c.post("relationships.create", "/relationships", { verb, from, to }),
    from: (id: string, verb?: string): JsonResponse => c.get("relationships.from", `/relationships/from/${id}${verb ? `?verb=${verb}` : ""}`),
    to: (id: string): JsonResponse => c.get("relationships.to", `/relationships/to/${id}`),
    remove: (id: string): JsonResponse => c.del("relationships.delete", `/relationships/${id}`),
  };
}

export function actionsApi(c: NamespaceClient) {
  const step = (step: "start" | "complete" | "fail" | "retry", id: string, body?: unknown, meta?: OperationMeta): JsonResponse => c.post(`actions.${step}`, `/actions/${id}/${step}`, body, meta);
  return {
    create: (action: Record<string, unknown>): JsonResponse => c.post("actions.create", "/actions", action),
    start: (id: string): JsonResponse => step("start", id),
    complete: (id: string, output?: unknown, meta?: OperationMeta): JsonResponse => step("complete", id, output === undefined ? {} : { output }, meta),
    fail: (id: string, error: { message: string; code?: string }): JsonResponse => step("fail", id, { error }),
    retry: (id: string): JsonResponse => step("retry", id),
    byTarget: (target: string): JsonResponse => c.get("actions.list", `/actions?target=${target}`),
  };
}

export function eventsApi(c: NamespaceClient) {
  return {
    create: (event: Record<string, unknown>): JsonResponse => c.post("events.create", "/events", event),
    batch: (events: Array<Record<string, unknown>>): JsonResponse => c.post("events.batch", "/events/batch", events),
    /** From `fromSequence` (negative: the last N), at most `limit`. */
    replay: (fromSequence: number, limit?: number, meta?: OperationMeta, name = "events.replay"): JsonResponse =>
      c.get(name, `/events/replay?fromSequence=${fromSequence}${limit ? `&limit=${limit}` : ""}`, meta),
    bySource: (source: string, query = ""): JsonResponse => c.get("events.list", `/events?source=${source}${query ? `&${query}` : ""}`),
    markStreamed: (id: string): JsonResponse => c.post("events.streamed", `/events/${id}/streamed`),
  };
}

export function searchApi(c: NamespaceClient) {
  return {
    index: (doc: Record<string, unknown>): JsonResponse => c.post("search.index", "/search/index", doc),
    indexBatch: (docs: Array<Record<string, unknown>>): JsonResponse => c.post("search.index-batch", "/search/index/batch", docs),
    /** Keyword search; `query` the rest (type, facets, limit). */
    query: (q: string, query = ""): JsonResponse => c.get("search.query", `/search?q=${q}${query ? `&${query}` : ""}`),
    semantic: (q: string): JsonResponse => c.get("search.semantic", `/search/semantic?q=${q}`),
    hybrid: (q: string): JsonResponse => c.get("search.hybrid", `/search/hybrid?q=${q}`),
    unindex: (id: string): JsonResponse => c.del("search.unindex", `/search/index/${id}`),
  };
}

export function objectsApi(c: NamespaceClient) {
  return {
    register: (entry: Record<string, unknown>): JsonResponse => c.post("objects.register", "/objects", entry),
    get: (ns: string, meta?: OperationMeta): JsonResponse => c.get("objects.get", `/objects/${ns}`, meta),
    move: (ns: string, colo: string): JsonResponse => c.patch("objects.move", `/objects/${ns}`, { colo }),
    shards: (shardKey: string): JsonResponse => c.get("objects.shards", `/objects/shards/${shardKey}`),
    resolve: (from: string, to: string): JsonResponse => c.get("objects.resolve", `/objects/${from}/resolve/${to}`),
    remove: (ns: string): JsonResponse => c.del("objects.delete", `/objects/${ns}`),
  };
}

export function dlqApi(c: NamespaceClient) {
  return {
    create: (entry: Record<string, unknown>): JsonResponse => c.post("dlq.create", "/dlq", entry),
    increment: (id: string): JsonResponse => c.post("dlq.increment", `/dlq/${id}/increment`),
    list: (query: string): JsonResponse => c.get("dlq.list", `/dlq?${query}`),
    stats: (): JsonResponse => c.get("dlq.stats", "/dlq/stats"),
    replay: (id: string): JsonResponse => c.post("dlq.replay", `/dlq/${id}/replay`),
    get: (id: string, meta?: OperationMeta): JsonResponse => c.get("dlq.get", `/dlq/${id}`, meta),
  };
}

/** All seven stores of one client, for scenarios that use every one (a VU builds each store's calls). */
export function storesApi(c: NamespaceClient) {
  return {
    things: thingsApi(c),
    relationships: relationshipsApi(c),
    actions: actionsApi(c),
    events: eventsApi(c),
    search: searchApi(c),
    objects: objectsApi(c),
    dlq: dlqApi(c),
  };
}

// cache.perf.do (contract §6), one place for its paths and bodies: used by e2e/advanced and perf/advanced.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export interface CacheEntry {
  key: string;
  value: unknown;
  etag: string;
  hit: boolean;
  expiresAt?: number;
}

export function cacheApi(c: NamespaceClient) {
  return {
    set: (key: string, value: unknown, opts: { ttl?: number; dependencies?: string[] } = {}, name = "cache.set", meta?: OperationMeta): JsonResponse =>
      c.post(name, "/cache/set", { key, value, ...opts }, meta),
    get: (key: string, name = "cache.get", meta?: OperationMeta): JsonResponse => c.get(name, `/cache/get?key=${encodeURIComponent(key)}`, meta),
    invalidateCascade: (key: string): JsonResponse => c.post("cache.invalidate-cascade", "/cache/invalidate-cascade", { key }),
    cas: (key: string, value: unknown, expectedEtag: string): JsonResponse => c.post("cache.cas", "/cache/cas", { key, value, expectedEtag }),
    stats: (): JsonResponse => c.get("cache.stats", "/cache/stats"),
    clear: (): JsonResponse => c.post("cache.clear", "/cache/clear"),
  };
}

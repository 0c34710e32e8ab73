// temporal.perf.do (contract §6): used by e2e/advanced and perf/advanced.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export function temporalApi(c: NamespaceClient) {
  return {
    put: (key: string, value: unknown, timestamp?: number): JsonResponse => c.post("temporal.put", "/temporal/put", timestamp === undefined ? { key, value } : { key, value, timestamp }),
    batchPut: (entries: Array<{ key: string; value: unknown; timestamp?: number }>, name = "temporal.batch-put", meta?: OperationMeta): JsonResponse => c.post(name, "/temporal/batch-put", { entries }, meta),
    getAt: (key: string, timestamp: number, meta?: OperationMeta): JsonResponse => c.post("temporal.get-at", "/temporal/get", { key, timestamp }, meta),
    latest: (key: string): JsonResponse => c.get("temporal.get", `/temporal/get?key=${encodeURIComponent(key)}`),
    query: (key: string, startTime: number, endTime: number, meta?: OperationMeta): JsonResponse => c.post("temporal.query", "/temporal/query", { key, startTime, endTime }, meta),
    history: (key: string): JsonResponse => c.get("temporal.history", `/temporal/history?key=${encodeURIComponent(key)}`),
    snapshot: (name: string, description?: string): JsonResponse => c.post("temporal.snapshot", "/temporal/snapshot", { name, description }),
    snapshots: (): JsonResponse => c.get("temporal.snapshots", "/temporal/snapshots"),
    restore: (snapshotId: string): JsonResponse => c.post("temporal.restore", "/temporal/restore", { snapshotId }),
    stats: (): JsonResponse => c.get("temporal.stats", "/temporal/stats"),
    clear: (): JsonResponse => c.post("temporal.clear", "/temporal/clear"),
  };
}

// Lifecycle namespaces (contract §3): helpers (state, db, counter, events, status), move, fork, clone
// (atomic, staged, eventual, resumable), compact, promote and demote. One place for their paths and
// bodies: used by e2e/lifecycle, perf/lifecycle, perf/coldstart and any scenario reading a row count.
// Each call takes its operation name last, defaulting to the one the perf scenario records.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";
import { bodyJson } from "../client";
import { pollUntil, type Polled } from "./poll";

export type CloneMode = "atomic" | "eventual" | "resumable";

export function lifecycleApi(c: NamespaceClient) {
  const cloneStatus = (jobId: string, name = "clone.status"): JsonResponse => c.get(name, `/clone/status/${jobId}`);
  return {
    url: c.url,
    // helpers
    statePut: (key: string, value: unknown, name = "lifecycle.state-put"): JsonResponse => c.put(name, "/state", { key, value }),
    stateGet: (key: string, meta?: OperationMeta, name = "lifecycle.state-get"): JsonResponse => c.get(name, `/state?key=${key}`, meta),
    dbSeed: (records: number, meta?: OperationMeta, name = "lifecycle.db-seed"): JsonResponse => c.post(name, "/db/seed", { records }, meta),
    dbQuery: (sql: string, name = "lifecycle.db-query"): JsonResponse => c.post(name, "/db/query", { sql }),
    /** Rows in the `records` table the seed fills (-1 when the answer has none). */
    recordCount: (name = "lifecycle.db-query"): number =>
      (bodyJson(c.post(name, "/db/query", { sql: "SELECT COUNT(*) AS n FROM records" })) as { rows?: Array<{ n: number }> } | undefined)?.rows?.[0]?.n ?? -1,
    counterIncrement: (by?: number, name = "lifecycle.counter-increment"): JsonResponse => c.post(name, "/counter/increment", by === undefined ? undefined : { by }),
    counterDecrement: (name = "lifecycle.counter"): JsonResponse => c.post(name, "/counter/decrement"),
    counter: (name = "lifecycle.counter-get"): JsonResponse => c.get(name, "/counter"),
    status: (meta?: OperationMeta, name = "lifecycle.status"): JsonResponse => c.get(name, "/status", meta),
    eventsRecent: (name = "lifecycle.events-recent"): JsonResponse => c.get(name, "/events/recent"),
    eventsLast: (type: string, name = "lifecycle.events-last"): JsonResponse => c.get(name, `/events/last?type=${type}`),
    wsStats: (name = "lifecycle.ws-stats"): JsonResponse => c.get(name, "/ws/stats"),
    // the local target's cold-start hooks (a deployment answers 404)
    dbFill: (bytes: number): JsonResponse => c.post("coldstart.seed", "/db/fill", { bytes }),
    /** Reads every stored byte (a cold start's first full read). */
    dbStats: (name: string, meta?: OperationMeta): JsonResponse => c.get(name, "/db/stats", meta),
    /** The next request builds a new instance on the stored database. */
    objectReset: (): JsonResponse => c.post("coldstart.reset", "/object/reset"),
    objectDestroy: (): JsonResponse => c.post("coldstart.destroy", "/object/destroy"),
    // move, fork, clone, compact
    move: (body: { colo: string; testRunId?: string }, meta?: OperationMeta, name = "lifecycle.move"): JsonResponse => c.post(name, "/move", body, meta),
    fork: (body: { namespace?: string; filter?: { exclude?: string[]; include?: string[] } }, meta?: OperationMeta, name = "lifecycle.fork"): JsonResponse => c.post(name, "/fork", body, meta),
    clone: (mode: CloneMode, targetId: string, extra: { checkpointInterval?: number } = {}, meta?: OperationMeta, name = "lifecycle.clone-atomic"): JsonResponse =>
      c.post(name, "/clone", { mode, targetId, ...extra }, meta),
    clonePrepare: (targetId: string, tokenTtl?: number): JsonResponse => c.post("clone.prepare", "/clone/prepare", tokenTtl === undefined ? { targetId } : { targetId, tokenTtl }),
    cloneCommit: (token: string, targetId: string, meta?: OperationMeta): JsonResponse => c.post("clone.commit", "/clone/commit", { token, targetId }, meta),
    cloneStatus,
    /** Polls a clone job until it is `until` (default completed) or failed; bounded in tries and time. */
    cloneUntil: (jobId: string, until = "completed", timeoutMs = 4_000): Polled<string> =>
      pollUntil(() => (bodyJson(cloneStatus(jobId)) as { status?: string } | undefined)?.status ?? "", (s) => s === until || s === "failed", 20, timeoutMs),
    cloneCancel: (jobId: string): JsonResponse => c.post("clone.cancel", "/clone/cancel", { jobId }),
    clonePause: (jobId: string): JsonResponse => c.post("clone.pause", "/clone/pause", { jobId }),
    cloneResume: (jobId: string, checkpointId: string): JsonResponse => c.post("clone.resume", "/clone/resume", { jobId, checkpointId }),
    cloneCheckpoints: (jobId: string): JsonResponse => c.get("clone.checkpoints", `/clone/checkpoints/${jobId}`),
    cloneCleanup: (jobId: string): JsonResponse => c.post("clone.cleanup", "/clone/cleanup", { jobId, deleteCheckpoints: true }),
    compact: (keepVersions: number): JsonResponse => c.post("compact.compact", "/compact", { keepVersions }),
    // things, promote and demote
    thingCreate: (thing: Record<string, unknown>, name = "lifecycle.thing-create"): JsonResponse => c.post(name, "/things", thing),
    thingGet: (id: string, name = "demote.thing-get"): JsonResponse => c.get(name, `/things/${id}`),
    thingPatch: (id: string, patch: Record<string, unknown>, name = "compact.update"): JsonResponse => c.patch(name, `/things/${id}`, patch),
    thingVersions: (id: string, name = "compact.versions"): JsonResponse => c.get(name, `/things/${id}/versions`),
    historyBatch: (id: string, entries: unknown[]): JsonResponse => c.post("promote.history-batch", `/things/${id}/history/batch`, { entries }),
    promote: (id: string, options: Record<string, unknown> = {}, meta?: OperationMeta, name = "lifecycle.promote"): JsonResponse => c.post(name, `/things/${id}/promote`, options, meta),
    promotePrepare: (id: string): JsonResponse => c.post("promote.prepare", `/things/${id}/promote/prepare`, {}),
    promoteCommit: (id: string, token: string): JsonResponse => c.post("promote.commit", `/things/${id}/promote/commit`, { token }),
    objectCreate: (id: string, data: unknown): JsonResponse => c.post("demote.object", "/objects", { id, data }),
    objectAction: (id: string, body: Record<string, unknown>): JsonResponse => c.post("demote.action", `/objects/${id}/action`, body),
    objectIncrement: (id: string, amount: number, name = "lifecycle.object-increment"): JsonResponse => c.post(name, `/objects/${id}/increment`, { amount }),
    objectHistory: (id: string): JsonResponse => c.get("promote.history", `/objects/${id}/history`),
    objectStatus: (id: string, name = "promote.status"): JsonResponse => c.get(name, `/objects/${id}/status`),
    demote: (id: string, options: Record<string, unknown> = {}, name = "lifecycle.demote"): JsonResponse => c.post(name, `/objects/${id}/demote`, options),
    demotePrepare: (id: string): JsonResponse => c.post("demote.prepare", `/objects/${id}/demote/prepare`, {}),
    demoteAbort: (id: string, token: string): JsonResponse => c.post("demote.abort", `/objects/${id}/demote/abort`, { token }),
  };
}

export type LifecycleApi = ReturnType<typeof lifecycleApi>;

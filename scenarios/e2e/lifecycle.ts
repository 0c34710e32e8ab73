// E2E: lifecycle operations (contract §3) on fresh namespaces per iteration: move, fork, clone
// (atomic, staged with expiring tokens, eventual, resumable), promote and demote.
// Every assertion is a named check; gate 100 %.

import { sleep } from "k6";
import exec from "k6/execution";
import { lifecycleApi, type LifecycleApi } from "../../lib/k6/api/lifecycle.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const GONE = { expectStatus: [410] };
const NOT_FOUND = { expectStatus: [404] };

const lifecycle = (namespace: string): LifecycleApi => lifecycleApi(namespaceClient(target, namespace));
/** The namespace named by a fork or clone URL (`https://<ns>.<domain>`, or `https://<host>/@<ns>` on one host). */
const clientFor = (url: string): LifecycleApi => lifecycle(/\/@([^/]+)/.exec(url)?.[1] ?? (url.replace(/^https?:\/\//, "").split(".")[0] as string));
const count = (c: LifecycleApi): number => c.recordCount();
const recentEvents = (c: LifecycleApi): string[] => body<{ events: string[] }>(c.eventsRecent()).events ?? [];

function move(run: string): void {
  const ns = lifecycle(`move-${run}`);
  ns.statePut("session", { user: run });
  ns.dbSeed(20);
  const moved = body<{ targetColo: string }>(ns.move({ colo: "EWR", testRunId: run }, undefined, "move.move"));
  expect("move", "reports the target colo", moved.targetColo === "EWR");
  expect("move", "state survives the move", body<{ value: { user: string } }>(ns.stateGet("session")).value?.user === run);
  expect("move", "SQLite rows survive the move", count(ns) === 20);
  const recent = recentEvents(ns);
  expect("move", "emits move.started then move.completed", recent.indexOf("move.started") >= 0 && recent.indexOf("move.started") < recent.indexOf("move.completed"));
  const last = body<{ metadata: { sourceColo: string; targetColo: string; timestamp: string } }>(ns.eventsLast("move.completed"));
  expect("move", "move.completed carries source and target colo", last.metadata?.targetColo === "EWR" && typeof last.metadata?.sourceColo === "string");
  expect("move", "/status shows the new colo", body<{ colo: string; status: string }>(ns.status()).colo === "EWR");
}

function fork(run: string): void {
  const source = lifecycle(`fork-${run}`);
  source.statePut("keep:a", 1);
  source.statePut("drop:b", 2);
  source.dbSeed(30);
  source.counterIncrement(10, "lifecycle.counter");
  const forked = body<{ forkUrl: string }>(source.fork({ filter: { exclude: ["drop:"] } }, undefined, "fork.fork"));
  if (!expect("fork", "returns a forkUrl", typeof forked.forkUrl === "string")) return;
  const child = clientFor(forked.forkUrl);
  expect("fork", "the fork has the source's state", body<{ value: number }>(child.stateGet("keep:a")).value === 1);
  expect("fork", "a filtered-out key is not copied", child.stateGet("drop:b", NOT_FOUND).status === 404);
  expect("fork", "the fork has the source's rows", count(child) === 30);
  source.counterIncrement(undefined, "lifecycle.counter");
  child.counterDecrement();
  const a = body<{ value: number }>(source.counter()).value;
  const b = body<{ value: number }>(child.counter()).value;
  expect("fork", "source and fork counters diverge (isolated)", a === 11 && b === 9);
  expect("fork", "the source emits fork.completed", recentEvents(source).includes("fork.completed"));
  expect("fork", "the fork starts with no connections", body<{ connections: number }>(child.wsStats()).connections === 0);
}

function clone(run: string): void {
  const source = lifecycle(`clone-${run}`);
  source.dbSeed(250);
  source.counterIncrement(7, "lifecycle.counter");

  const atomic = body<{ cloneUrl: string; status: string }>(source.clone("atomic", `clone-${run}-a`, {}, undefined, "clone.atomic"));
  const copy = clientFor(atomic.cloneUrl ?? "");
  expect("clone", "atomic: source counter equals clone counter", body<{ value: number }>(copy.counter()).value === 7);
  expect("clone", "atomic: every row is copied", count(copy) === 250);

  const p1 = body<{ token: string }>(source.clonePrepare(`clone-${run}-s`, 100));
  const p2 = body<{ token: string }>(source.clonePrepare(`clone-${run}-s`));
  expect("clone", "staged: two prepares get different tokens", typeof p1.token === "string" && p1.token !== p2.token);
  sleep(0.3);
  expect("clone", "staged: commit fails once the token has expired", source.cloneCommit(p1.token, `clone-${run}-s`, GONE).status === 410);
  expect("clone", "staged: commit with a live token succeeds", body<{ committed: boolean }>(source.cloneCommit(p2.token, `clone-${run}-s`)).committed === true);

  const job = body<{ jobId: string }>(source.clone("eventual", `clone-${run}-e`, {}, undefined, "clone.eventual"));
  expect("clone", "eventual: the job completes", source.cloneUntil(job.jobId).value === "completed");
  expect("clone", "eventual: every row arrives", count(lifecycle(`clone-${run}-e`)) === 250);
  const big = lifecycle(`cancel-${run}`);
  big.dbSeed(3000);
  const cancelled = body<{ jobId: string }>(big.clone("eventual", `cancel-${run}-e`, {}, undefined, "clone.eventual"));
  expect("clone", "eventual: a running job can be cancelled", body<{ status: string }>(big.cloneCancel(cancelled.jobId)).status === "cancelled");
  sleep(0.1);
  const after = body<{ status: string; copied: number }>(big.cloneStatus(cancelled.jobId));
  expect("clone", "eventual: a cancelled job stops copying", after.status === "cancelled" && count(lifecycle(`cancel-${run}-e`)) < 3000);
  expect("clone", "clone.completed is emitted", recentEvents(source).includes("clone.completed"));
}

function resumable(run: string): void {
  const source = lifecycle(`resume-${run}`);
  source.dbSeed(600);
  const targetId = `resume-${run}-r`;
  const started = body<{ jobId: string; checkpointId: string }>(source.clone("resumable", targetId, { checkpointInterval: 10 }, undefined, "clone.resumable"));
  expect("clone", "resumable: returns a job and a first checkpoint", typeof started.jobId === "string" && typeof started.checkpointId === "string");
  const paused = body<{ status: string; progress: number; checkpointId: string }>(source.clonePause(started.jobId));
  expect("clone", "resumable: pauses part-way", paused.status === "paused" && paused.progress < 1);
  const statusWhilePaused = body<{ status: string; copied: number }>(source.cloneStatus(started.jobId));
  sleep(0.1);
  expect("clone", "resumable: a paused job copies nothing more", body<{ copied: number }>(source.cloneStatus(started.jobId)).copied === statusWhilePaused.copied);
  const checkpoints = body<{ checkpoints: Array<{ id: string; progress: number }> }>(source.cloneCheckpoints(started.jobId)).checkpoints ?? [];
  expect("clone", "resumable: lists checkpoints with progress", checkpoints.length >= 2 && checkpoints.every((c, i) => i === 0 || c.progress >= (checkpoints[i - 1] as { progress: number }).progress));
  source.cloneResume(started.jobId, paused.checkpointId);
  expect("clone", "resumable: completes after resume", source.cloneUntil(started.jobId, "completed", 16_000).value === "completed");
  expect("clone", "resumable: every row arrives exactly once", count(lifecycle(targetId)) === 600);
  const cleaned = body<{ cleaned: boolean; checkpointsDeleted: number }>(source.cloneCleanup(started.jobId));
  expect("clone", "resumable: cleanup deletes the checkpoints", cleaned.cleaned === true && cleaned.checkpointsDeleted >= 2);
}

function promote(run: string): void {
  const ns = lifecycle(`promote-${run}`);
  const id = `acct-${run}`;
  ns.thingCreate({ id, type: "Account", data: { value: 1 } }, "promote.thing");
  ns.historyBatch(id, [1, 2, 3, 4].map((n) => ({ event: "deposit", data: { n } })));
  const prepared = body<{ token: string }>(ns.promotePrepare(id));
  expect("promote", "prepare returns a token", typeof prepared.token === "string");
  expect("promote", "commit with the token promotes", body<{ promoted: boolean }>(ns.promoteCommit(id, prepared.token)).promoted === true);
  expect("promote", "history is kept (at least 5 entries)", (body<{ entries: unknown[] }>(ns.objectHistory(id)).entries ?? []).length >= 5);
  expect("promote", "the object is active", body<{ active: boolean }>(ns.objectStatus(id)).active === true);
  expect("promote", "promoting twice is refused (409)", ns.promote(id, {}, { expectStatus: [409] }, "promote.promote").status === 409);
  expect("promote", "emits thing.promoted", recentEvents(ns).includes("thing.promoted"));
  const other = `acct-${run}-b`;
  ns.thingCreate({ id: other, type: "Account", data: {} }, "promote.thing");
  const withAlarm = body<{ alarm?: { action: string } }>(ns.promote(other, { mode: "atomic", scheduleAlarm: { after: 1000, action: "expire" } }, undefined, "promote.promote"));
  expect("promote", "an atomic promote schedules the requested alarm", withAlarm.alarm?.action === "expire");
}

function demote(run: string): void {
  const ns = lifecycle(`demote-${run}`);
  const cycled = `bal-${run}`;
  ns.thingCreate({ id: cycled, type: "Balance", data: { value: 100 } }, "demote.thing");
  ns.promote(cycled, {}, undefined, "demote.promote");
  expect("demote", "the active object increments", body<{ value: number }>(ns.objectIncrement(cycled, 50, "demote.increment")).value === 150);
  ns.demote(cycled, { archive: { destination: "r2", bucket: "archive", compress: true }, cleanup: { cancelAlarms: true } }, "demote.demote");
  const back = body<{ data: { value: number }; history: unknown[] }>(ns.thingGet(cycled));
  expect("demote", "promote, +50, demote ends at data.value 150", back.data?.value === 150);
  expect("demote", "the thing keeps its history (at least 3 entries)", (back.history ?? []).length >= 3);
  expect("demote", "emits do.deactivated", recentEvents(ns).includes("do.deactivated"));

  const kept = `obj-${run}`;
  ns.objectCreate(kept, { value: 5 });
  ns.objectAction(kept, { action: "set", value: 7 });
  const prepared = body<{ token: string; snapshot: { data: { value: number } } }>(ns.demotePrepare(kept));
  expect("demote", "prepare returns a token and a snapshot", typeof prepared.token === "string" && prepared.snapshot?.data?.value === 7);
  ns.demoteAbort(kept, prepared.token);
  expect("demote", "after abort the object is still active", body<{ active: boolean }>(ns.objectStatus(kept, "demote.status")).active === true);
}

function compact(run: string): void {
  const ns = lifecycle(`compact-${run}`);
  ns.dbSeed(400);
  const id = `doc-${run}`;
  const thing = body<{ $id: string }>(ns.thingCreate({ id, $type: "Doc", data: { rev: 0, text: "x".repeat(2000) } }, "compact.thing"));
  for (let rev = 1; rev <= 30; rev++) ns.thingPatch(thing.$id, { data: { rev, text: "x".repeat(2000) } });
  const job = body<{ jobId: string }>(ns.clone("eventual", `compact-${run}-c`, {}, undefined, "clone.eventual"));
  ns.cloneUntil(job.jobId);
  const result = body<{ before: number; after: number }>(ns.compact(5));
  expect("compact", "storage shrinks", result.after < result.before);
  expect("compact", "current data is kept", body<{ data: { rev: number } }>(ns.thingGet(thing.$id, "compact.thing-get")).data?.rev === 30);
  expect("compact", "only the newest versions are kept", (body<{ versions: unknown[] }>(ns.thingVersions(thing.$id)).versions ?? []).length === 5);
  expect("compact", "rows are kept", count(ns) === 400);
}

export default function (): void {
  const run = `${exec.vu.idInTest}x${exec.scenario.iterationInTest}x${Date.now().toString(36)}`;
  move(run);
  fork(run);
  clone(run);
  resumable(run);
  promote(run);
  demote(run);
  compact(run);
}

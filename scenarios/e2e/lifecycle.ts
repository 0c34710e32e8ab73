// E2E: lifecycle operations (contract §3) on fresh namespaces per iteration: move, fork, clone
// (atomic, staged with expiring tokens, eventual, resumable), promote and demote.
// Every assertion is a named check; gate 100 %.

import { sleep } from "k6";
import exec from "k6/execution";
import { namespaceClient, type NamespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const GONE = { expectStatus: [410] };
const POLL_TRIES = 50;
const POLL_INTERVAL_S = 0.02;

/** A client for the namespace named by a fork or clone URL (`https://<ns>.<domain>`). */
const clientFor = (url: string): NamespaceClient => namespaceClient(target, url.replace(/^https?:\/\//, "").split(".")[0] as string);
const count = (c: NamespaceClient, op: string): number => body<{ rows: Array<{ n: number }> }>(c.post(op, "/db/query", { sql: "SELECT COUNT(*) AS n FROM records" })).rows?.[0]?.n ?? -1;

function move(run: string): void {
  const ns = namespaceClient(target, `move-${run}`);
  ns.put("lifecycle.state-put", "/state", { key: "session", value: { user: run } });
  ns.post("lifecycle.db-seed", "/db/seed", { records: 20 });
  const moved = body<{ targetColo: string }>(ns.post("move.move", "/move", { colo: "EWR", testRunId: run }));
  expect("move", "reports the target colo", moved.targetColo === "EWR");
  expect("move", "state survives the move", body<{ value: { user: string } }>(ns.get("lifecycle.state-get", "/state?key=session")).value?.user === run);
  expect("move", "SQLite rows survive the move", count(ns, "lifecycle.db-query") === 20);
  const recent = body<{ events: string[] }>(ns.get("lifecycle.events-recent", "/events/recent")).events ?? [];
  expect("move", "emits move.started then move.completed", recent.indexOf("move.started") >= 0 && recent.indexOf("move.started") < recent.indexOf("move.completed"));
  const last = body<{ metadata: { sourceColo: string; targetColo: string; timestamp: string } }>(ns.get("lifecycle.events-last", "/events/last?type=move.completed"));
  expect("move", "move.completed carries source and target colo", last.metadata?.targetColo === "EWR" && typeof last.metadata?.sourceColo === "string");
  expect("move", "/status shows the new colo", body<{ colo: string; status: string }>(ns.get("lifecycle.status", "/status")).colo === "EWR");
}

function fork(run: string): void {
  const source = namespaceClient(target, `fork-${run}`);
  source.put("lifecycle.state-put", "/state", { key: "keep:a", value: 1 });
  source.put("lifecycle.state-put", "/state", { key: "drop:b", value: 2 });
  source.post("lifecycle.db-seed", "/db/seed", { records: 30 });
  source.post("lifecycle.counter", "/counter/increment", { by: 10 });
  const forked = body<{ forkUrl: string }>(source.post("fork.fork", "/fork", { filter: { exclude: ["drop:"] } }));
  if (!expect("fork", "returns a forkUrl", typeof forked.forkUrl === "string")) return;
  const child = clientFor(forked.forkUrl);
  expect("fork", "the fork has the source's state", body<{ value: number }>(child.get("lifecycle.state-get", "/state?key=keep:a")).value === 1);
  expect("fork", "a filtered-out key is not copied", child.get("lifecycle.state-get", "/state?key=drop:b", { expectStatus: [404] }).status === 404);
  expect("fork", "the fork has the source's rows", count(child, "lifecycle.db-query") === 30);
  source.post("lifecycle.counter", "/counter/increment");
  child.post("lifecycle.counter", "/counter/decrement");
  const a = body<{ value: number }>(source.get("lifecycle.counter-get", "/counter")).value;
  const b = body<{ value: number }>(child.get("lifecycle.counter-get", "/counter")).value;
  expect("fork", "source and fork counters diverge (isolated)", a === 11 && b === 9);
  expect("fork", "the source emits fork.completed", (body<{ events: string[] }>(source.get("lifecycle.events-recent", "/events/recent")).events ?? []).includes("fork.completed"));
  expect("fork", "the fork starts with no connections", body<{ connections: number }>(child.get("lifecycle.ws-stats", "/ws/stats")).connections === 0);
}

function clone(run: string): void {
  const source = namespaceClient(target, `clone-${run}`);
  source.post("lifecycle.db-seed", "/db/seed", { records: 250 });
  source.post("lifecycle.counter", "/counter/increment", { by: 7 });

  const atomic = body<{ cloneUrl: string; status: string }>(source.post("clone.atomic", "/clone", { mode: "atomic", targetId: `clone-${run}-a` }));
  const copy = clientFor(atomic.cloneUrl ?? "");
  expect("clone", "atomic: source counter equals clone counter", body<{ value: number }>(copy.get("lifecycle.counter-get", "/counter")).value === 7);
  expect("clone", "atomic: every row is copied", count(copy, "lifecycle.db-query") === 250);

  const p1 = body<{ token: string }>(source.post("clone.prepare", "/clone/prepare", { targetId: `clone-${run}-s`, tokenTtl: 100 }));
  const p2 = body<{ token: string }>(source.post("clone.prepare", "/clone/prepare", { targetId: `clone-${run}-s` }));
  expect("clone", "staged: two prepares get different tokens", typeof p1.token === "string" && p1.token !== p2.token);
  sleep(0.3);
  expect("clone", "staged: commit fails once the token has expired", source.post("clone.commit", "/clone/commit", { token: p1.token, targetId: `clone-${run}-s` }, GONE).status === 410);
  expect("clone", "staged: commit with a live token succeeds", body<{ committed: boolean }>(source.post("clone.commit", "/clone/commit", { token: p2.token, targetId: `clone-${run}-s` })).committed === true);

  const job = body<{ jobId: string }>(source.post("clone.eventual", "/clone", { mode: "eventual", targetId: `clone-${run}-e` }));
  let status = "pending";
  for (let i = 0; i < POLL_TRIES && status !== "completed" && status !== "failed"; i++) {
    status = body<{ status: string }>(source.get("clone.status", `/clone/status/${job.jobId}`)).status;
    if (status !== "completed") sleep(POLL_INTERVAL_S);
  }
  expect("clone", "eventual: the job completes", status === "completed");
  expect("clone", "eventual: every row arrives", count(namespaceClient(target, `clone-${run}-e`), "lifecycle.db-query") === 250);
  const big = namespaceClient(target, `cancel-${run}`);
  big.post("lifecycle.db-seed", "/db/seed", { records: 3000 });
  const cancelled = body<{ jobId: string }>(big.post("clone.eventual", "/clone", { mode: "eventual", targetId: `cancel-${run}-e` }));
  expect("clone", "eventual: a running job can be cancelled", body<{ status: string }>(big.post("clone.cancel", "/clone/cancel", { jobId: cancelled.jobId })).status === "cancelled");
  sleep(0.1);
  const after = body<{ status: string; copied: number }>(big.get("clone.status", `/clone/status/${cancelled.jobId}`));
  expect("clone", "eventual: a cancelled job stops copying", after.status === "cancelled" && count(namespaceClient(target, `cancel-${run}-e`), "lifecycle.db-query") < 3000);
  expect("clone", "clone.completed is emitted", (body<{ events: string[] }>(source.get("lifecycle.events-recent", "/events/recent")).events ?? []).includes("clone.completed"));
}

function resumable(run: string): void {
  const source = namespaceClient(target, `resume-${run}`);
  source.post("lifecycle.db-seed", "/db/seed", { records: 600 });
  const targetId = `resume-${run}-r`;
  const started = body<{ jobId: string; checkpointId: string }>(source.post("clone.resumable", "/clone", { mode: "resumable", targetId, checkpointInterval: 10 }));
  expect("clone", "resumable: returns a job and a first checkpoint", typeof started.jobId === "string" && typeof started.checkpointId === "string");
  const paused = body<{ status: string; progress: number; checkpointId: string }>(source.post("clone.pause", "/clone/pause", { jobId: started.jobId }));
  expect("clone", "resumable: pauses part-way", paused.status === "paused" && paused.progress < 1);
  const statusWhilePaused = body<{ status: string; copied: number }>(source.get("clone.status", `/clone/status/${started.jobId}`));
  sleep(0.1);
  expect("clone", "resumable: a paused job copies nothing more", body<{ copied: number }>(source.get("clone.status", `/clone/status/${started.jobId}`)).copied === statusWhilePaused.copied);
  const checkpoints = body<{ checkpoints: Array<{ id: string; progress: number }> }>(source.get("clone.checkpoints", `/clone/checkpoints/${started.jobId}`)).checkpoints ?? [];
  expect("clone", "resumable: lists checkpoints with progress", checkpoints.length >= 2 && checkpoints.every((c, i) => i === 0 || c.progress >= (checkpoints[i - 1] as { progress: number }).progress));
  source.post("clone.resume", "/clone/resume", { jobId: started.jobId, checkpointId: paused.checkpointId });
  let status = "running";
  for (let i = 0; i < POLL_TRIES * 4 && status !== "completed"; i++) {
    status = body<{ status: string }>(source.get("clone.status", `/clone/status/${started.jobId}`)).status;
    if (status !== "completed") sleep(POLL_INTERVAL_S);
  }
  expect("clone", "resumable: completes after resume", status === "completed");
  expect("clone", "resumable: every row arrives exactly once", count(namespaceClient(target, targetId), "lifecycle.db-query") === 600);
  const cleaned = body<{ cleaned: boolean; checkpointsDeleted: number }>(source.post("clone.cleanup", "/clone/cleanup", { jobId: started.jobId, deleteCheckpoints: true }));
  expect("clone", "resumable: cleanup deletes the checkpoints", cleaned.cleaned === true && cleaned.checkpointsDeleted >= 2);
}

function promote(run: string): void {
  const ns = namespaceClient(target, `promote-${run}`);
  const id = `acct-${run}`;
  ns.post("promote.thing", "/things", { id, type: "Account", data: { value: 1 } });
  ns.post("promote.history-batch", `/things/${id}/history/batch`, { entries: [1, 2, 3, 4].map((n) => ({ event: "deposit", data: { n } })) });
  const prepared = body<{ token: string }>(ns.post("promote.prepare", `/things/${id}/promote/prepare`, {}));
  expect("promote", "prepare returns a token", typeof prepared.token === "string");
  expect("promote", "commit with the token promotes", body<{ promoted: boolean }>(ns.post("promote.commit", `/things/${id}/promote/commit`, { token: prepared.token })).promoted === true);
  expect("promote", "history is kept (at least 5 entries)", (body<{ entries: unknown[] }>(ns.get("promote.history", `/objects/${id}/history`)).entries ?? []).length >= 5);
  expect("promote", "the object is active", body<{ active: boolean }>(ns.get("promote.status", `/objects/${id}/status`)).active === true);
  expect("promote", "promoting twice is refused (409)", ns.post("promote.promote", `/things/${id}/promote`, {}, { expectStatus: [409] }).status === 409);
  expect("promote", "emits thing.promoted", (body<{ events: string[] }>(ns.get("lifecycle.events-recent", "/events/recent")).events ?? []).includes("thing.promoted"));
  const other = `acct-${run}-b`;
  ns.post("promote.thing", "/things", { id: other, type: "Account", data: {} });
  const withAlarm = body<{ alarm?: { action: string } }>(ns.post("promote.promote", `/things/${other}/promote`, { mode: "atomic", scheduleAlarm: { after: 1000, action: "expire" } }));
  expect("promote", "an atomic promote schedules the requested alarm", withAlarm.alarm?.action === "expire");
}

function demote(run: string): void {
  const ns = namespaceClient(target, `demote-${run}`);
  const cycled = `bal-${run}`;
  ns.post("demote.thing", "/things", { id: cycled, type: "Balance", data: { value: 100 } });
  ns.post("demote.promote", `/things/${cycled}/promote`, {});
  expect("demote", "the active object increments", body<{ value: number }>(ns.post("demote.increment", `/objects/${cycled}/increment`, { amount: 50 })).value === 150);
  ns.post("demote.demote", `/objects/${cycled}/demote`, { archive: { destination: "r2", bucket: "archive", compress: true }, cleanup: { cancelAlarms: true } });
  const back = body<{ data: { value: number }; history: unknown[] }>(ns.get("demote.thing-get", `/things/${cycled}`));
  expect("demote", "promote, +50, demote ends at data.value 150", back.data?.value === 150);
  expect("demote", "the thing keeps its history (at least 3 entries)", (back.history ?? []).length >= 3);
  expect("demote", "emits do.deactivated", (body<{ events: string[] }>(ns.get("lifecycle.events-recent", "/events/recent")).events ?? []).includes("do.deactivated"));

  const kept = `obj-${run}`;
  ns.post("demote.object", "/objects", { id: kept, data: { value: 5 } });
  ns.post("demote.action", `/objects/${kept}/action`, { action: "set", value: 7 });
  const prepared = body<{ token: string; snapshot: { data: { value: number } } }>(ns.post("demote.prepare", `/objects/${kept}/demote/prepare`, {}));
  expect("demote", "prepare returns a token and a snapshot", typeof prepared.token === "string" && prepared.snapshot?.data?.value === 7);
  ns.post("demote.abort", `/objects/${kept}/demote/abort`, { token: prepared.token });
  expect("demote", "after abort the object is still active", body<{ active: boolean }>(ns.get("demote.status", `/objects/${kept}/status`)).active === true);
}

function compact(run: string): void {
  const ns = namespaceClient(target, `compact-${run}`);
  ns.post("lifecycle.db-seed", "/db/seed", { records: 400 });
  const id = `doc-${run}`;
  const thing = body<{ $id: string }>(ns.post("compact.thing", "/things", { id, $type: "Doc", data: { rev: 0, text: "x".repeat(2000) } }));
  for (let rev = 1; rev <= 30; rev++) ns.patch("compact.update", `/things/${thing.$id}`, { data: { rev, text: "x".repeat(2000) } });
  const job = body<{ jobId: string }>(ns.post("clone.eventual", "/clone", { mode: "eventual", targetId: `compact-${run}-c` }));
  let status = "pending";
  for (let i = 0; i < POLL_TRIES && status !== "completed"; i++) {
    status = body<{ status: string }>(ns.get("clone.status", `/clone/status/${job.jobId}`)).status;
    if (status !== "completed") sleep(POLL_INTERVAL_S);
  }
  const result = body<{ before: number; after: number }>(ns.post("compact.compact", "/compact", { keepVersions: 5 }));
  expect("compact", "storage shrinks", result.after < result.before);
  expect("compact", "current data is kept", body<{ data: { rev: number } }>(ns.get("compact.thing-get", `/things/${thing.$id}`)).data?.rev === 30);
  expect("compact", "only the newest versions are kept", (body<{ versions: unknown[] }>(ns.get("compact.versions", `/things/${thing.$id}/versions`)).versions ?? []).length === 5);
  expect("compact", "rows are kept", count(ns, "lifecycle.db-query") === 400);
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

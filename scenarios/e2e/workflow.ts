// E2E: workflow.perf.do (contract §8): workflows (DAGs, retries, cron schedules, sensors, state),
// activities (local, remote in another object, parallel, long-running with heartbeats), signals
// and timers fired by the Durable Object's alarm, every assertion a named check. One VU (smoke).
// Gate: 100 % of checks (thresholds/e2e/workflow.json); `npm run bench:e2e`.

import { sleep } from "k6";
import exec from "k6/execution";
import { pollUntil } from "../../lib/k6/api/poll";
import { workflowApi } from "../../lib/k6/api/workflow.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const w = workflowApi(namespaceClient(target, "workflow"));

function workflowChecks(run: string): void {
  const id = body<{ workflowId: string }>(w.workflows.create("pricing", [{ type: "add", value: 5 }, { type: "multiply", value: 3 }], `wf-${run}`)).workflowId;
  const done = body<{ status: string; output: number; trace: unknown[] }>(w.workflows.execute(id, 2));
  expect("workflows", "execute runs the steps in order on the input", done.status === "completed" && done.output === 21 && done.trace.length === 2);
  const bad = body<{ workflowId: string }>(w.workflows.create("broken", [{ type: "add", value: 1 }, { type: "fail", value: "card declined" }])).workflowId;
  const failed = body<{ status: string; error: string; failedStep: string }>(w.workflows.execute(bad, 1));
  expect("workflows", "a failing step fails the execution, naming the step and error", failed.status === "failed" && failed.error === "card declined" && failed.failedStep === "fail-1");
  const par = body<{ results: Array<{ output: number }>; completed: number }>(w.workflows.executeParallel([{ workflowId: id, input: 0 }, { workflowId: id, input: 1 }, { workflowId: id, input: 2 }]));
  expect("workflows", "execute-parallel runs every execution", par.completed === 3 && par.results.map((r) => r.output).join() === "15,18,21");
  expect("workflows", "executions are recorded per workflow", body<{ executions: unknown[] }>(w.workflows.executions(id)).executions.length === 4);

  const dag = body<{ dagId: string; levels: string[][] }>(w.workflows.dagCreate([{ id: "extract" }, { id: "clean", dependsOn: ["extract"] }, { id: "enrich", dependsOn: ["extract"] }, { id: "load", dependsOn: ["clean", "enrich"] }]));
  expect("workflows", "a DAG is levelled topologically", JSON.stringify(dag.levels) === JSON.stringify([["extract"], ["clean", "enrich"], ["load"]]));
  expect("workflows", "a DAG with a cycle is refused (400)", w.workflows.dagCreate([{ id: "a", dependsOn: ["b"] }, { id: "b", dependsOn: ["a"] }], { expectStatus: [400] }).status === 400);
  w.workflows.dagStart(dag.dagId);
  const st = body<{ status: string; nodes: Record<string, string> }>(w.workflows.dagStatus(dag.dagId));
  expect("workflows", "a started DAG completes every node, each after its dependencies", st.status === "completed" && Object.values(st.nodes).every((s) => s === "completed"));

  const fixed = body<{ status: string; attempts: number; delays: number[] }>(w.workflows.retry({ type: "fixed", maxAttempts: 4, initialDelayMs: 5 }, 2));
  expect("workflows", "fixed retry: waits the same delay and succeeds on attempt 3", fixed.status === "completed" && fixed.attempts === 3 && fixed.delays.join() === "5,5");
  const expo = body<{ status: string; delays: number[] }>(w.workflows.retry({ type: "exponential", maxAttempts: 5, initialDelayMs: 2, multiplier: 2 }, 4));
  expect("workflows", "exponential retry: delays double", expo.status === "completed" && expo.delays.join() === "2,4,8,16");
  const jit = body<{ delays: number[] }>(w.workflows.retry({ type: "exponential", maxAttempts: 4, initialDelayMs: 10, multiplier: 2, jitter: true }, 2));
  expect("workflows", "jitter keeps each delay within [0, the exponential delay]", jit.delays.length === 2 && (jit.delays[0] as number) <= 10 && (jit.delays[1] as number) <= 20);
  expect("workflows", "retries give up after maxAttempts", body<{ status: string; attempts: number }>(w.workflows.retry({ type: "fixed", maxAttempts: 2, initialDelayMs: 1 }, 5)).status === "failed");

  const sched = body<{ scheduleId: string }>(w.workflows.scheduleRegister("30 9 * * 1-5", "weekday standup"));
  // Saturday 2026-11-21 10:00 UTC → next Monday 09:30, then Tuesday 09:30.
  const next = body<{ nextRuns: string[] }>(w.workflows.scheduleNext(sched.scheduleId, Date.UTC(2026, 10, 21, 10, 0), 2));
  expect("workflows", "a cron schedule's next runs skip the weekend", next.nextRuns.join() === "2026-11-23T09:30:00.000Z,2026-11-24T09:30:00.000Z");
  const every = body<{ scheduleId: string }>(w.workflows.scheduleRegister("*/15 * * * *"));
  expect("workflows", "a */15 schedule runs on the quarter hour", body<{ nextRuns: string[] }>(w.workflows.scheduleNext(every.scheduleId, Date.UTC(2026, 0, 1, 12, 7), 1)).nextRuns[0] === "2026-01-01T12:15:00.000Z");
  expect("workflows", "an invalid cron is refused (400)", w.workflows.scheduleRegister("61 * * * *", "bad", { expectStatus: [400] }).status === 400);

  const sensor = body<{ sensorId: string }>(w.workflows.sensorCreate(id, "approved", true)).sensorId;
  expect("workflows", "a sensor is unsatisfied until its condition holds", body<{ satisfied: boolean }>(w.workflows.sensorCheck(sensor)).satisfied === false);
  w.workflows.stateSave(id, { approved: true, step: 1 });
  expect("workflows", "a sensor is satisfied once the state matches", body<{ satisfied: boolean }>(w.workflows.sensorCheck(sensor)).satisfied === true);
  const cp = body<{ checkpointId: string; version: number }>(w.workflows.checkpoint(id));
  w.workflows.stateSave(id, { step: 2 });
  expect("workflows", "state saves merge and version", body<{ state: { step: number; approved: boolean }; version: number }>(w.workflows.stateLoad(id)).state.step === 2);
  const replayed = body<{ state: { step: number }; replayedFromVersion: number }>(w.workflows.replay(id, cp.checkpointId));
  expect("workflows", "replay restores the state of the checkpoint", replayed.state.step === 1 && replayed.replayedFromVersion === cp.version && body<{ state: { step: number } }>(w.workflows.stateLoad(id)).state.step === 1);
}

function activityChecks(run: string): void {
  expect("activities", "a local activity runs in this object", body<{ result: number; local: boolean }>(w.activities.local("sum", [1, 2, 3])).result === 6);
  const remote = body<{ result: string; executedBy: string; local: boolean }>(w.activities.remote("reverse", "abc", { targetDO: `worker-${run}` }));
  expect("activities", "a remote activity runs in the named object", remote.result === "cba" && remote.executedBy === `worker-${run}` && remote.local === false);
  const a = body<{ executedBy: string }>(w.activities.remote("echo", 1, { routing: { type: "shardKey", key: "customer-42" } })).executedBy;
  const b = body<{ executedBy: string }>(w.activities.remote("echo", 2, { routing: { type: "shardKey", key: "customer-42" } })).executedBy;
  expect("activities", "shard-key routing sends one key to one worker object", a === b && /^workflow-worker-\d$/.test(a));
  const par = body<{ results: Array<{ result: number }>; workers: number }>(w.activities.parallel([1, 2, 3, 4].map((n) => ({ activity: "sum", input: [n, n] }))));
  expect("activities", "execute-parallel fans out to several objects", par.results.map((r) => r.result).join() === "2,4,6,8" && par.workers === 4);
  const long = body<{ activityId: string }>(w.activities.start("export", 150, `long-${run}`)).activityId;
  w.activities.heartbeat(long, { progress: 0.5 });
  const alive = body<{ alive: boolean; heartbeats: number; details: { progress: number } }>(w.activities.isAlive(long));
  expect("activities", "a heartbeating activity is alive with its last details", alive.alive && alive.heartbeats === 1 && alive.details.progress === 0.5);
  sleep(0.25);
  expect("activities", "an activity without a heartbeat past its timeout is not alive", body<{ alive: boolean; status: string }>(w.activities.isAlive(long)).status === "timed-out");
  const other = body<{ activityId: string }>(w.activities.start("export", 10_000)).activityId;
  w.activities.cancel(other);
  const hb = body<{ accepted: boolean; cancelRequested: boolean }>(w.activities.heartbeat(other, {}));
  expect("activities", "a cancelled activity is told to stop at its next heartbeat", hb.accepted === false && hb.cancelRequested === true);
}

function signalChecks(run: string): void {
  const wf = `sig-${run}`;
  w.signals.send(wf, "approve", { by: "alice" });
  w.signals.sendBatch([{ workflowId: wf, name: "note", payload: 1 }, { workflowId: wf, name: "note", payload: 2 }]);
  expect("signals", "sent signals wait as pending", body<{ count: number }>(w.signals.pending(wf)).count === 3);
  const first = body<{ signal: { name: string; payload: number } }>(w.signals.consume(wf, "note"));
  expect("signals", "consume takes the oldest pending signal of the name", first.signal.payload === 1);
  const waited = body<{ received: boolean; signal: { payload: { by: string } } }>(w.signals.wait(wf, "approve", 1000));
  expect("signals", "wait returns a signal already pending at once", waited.received && waited.signal.payload.by === "alice");
  const timedOut = body<{ received: boolean; timedOut: boolean; waitedMs: number }>(w.signals.wait(wf, "never", 100));
  expect("signals", "wait times out when no signal comes", timedOut.received === false && timedOut.timedOut && timedOut.waitedMs >= 90);
  w.signals.cross(`other-${run}`, wf, "handoff", { step: 3 });
  expect("signals", "a cross-workflow signal arrives with its sender", body<{ signals: Array<{ name: string; from: string }> }>(w.signals.pending(wf)).signals.some((s) => s.name === "handoff" && s.from === `other-${run}`));
  const targets = [1, 2, 3].map((i) => `bc-${run}-${i}`);
  expect("signals", "broadcast delivers to every workflow", body<{ delivered: number }>(w.signals.broadcast(targets, "shutdown", null)).delivered === 3 && targets.every((t) => body<{ count: number }>(w.signals.pending(t)).count === 1));
  expect("signals", "history keeps consumed and pending signals", body<{ count: number }>(w.signals.history(wf)).count === 4);
}

function timerChecks(run: string): void {
  const wf = `timers-${run}`;
  const t1 = body<{ timerId: string; firesAt: number }>(w.timers.create({ id: `t1-${run}`, durationMs: 100, callback: { action: "remind" }, workflowId: wf }));
  w.timers.create({ id: `t2-${run}`, durationMs: 150, callback: { action: "escalate" }, workflowId: wf });
  w.timers.create({ id: `t3-${run}`, durationMs: 60_000, callback: { action: "expire" }, workflowId: wf });
  w.timers.createBatch([{ id: `t4-${run}`, durationMs: 120, callback: 4, workflowId: wf }, { id: `t5-${run}`, durationMs: 60_000, callback: 5, workflowId: wf }]);
  expect("timers", "a new timer is pending with its time remaining", (() => {
    const r = body<{ status: string; remainingMs: number }>(w.timers.remaining(t1.timerId));
    return r.status === "pending" && r.remainingMs > 0 && r.remainingMs <= 100;
  })());
  expect("timers", "cancel stops a pending timer", body<{ cancelled: boolean }>(w.timers.cancel(`t3-${run}`)).cancelled === true);
  expect("timers", "approaching lists timers due soon", body<{ timers: Array<{ timerId: string }> }>(w.timers.approaching(1_000)).timers.some((t) => t.timerId === t1.timerId));
  // The object's alarm fires them: poll (bounded) until the three short ones have fired.
  const fired = pollUntil(() => body<{ timers: Array<{ timerId: string; latenessMs: number; firedAt: number; firesAt: number }> }>(w.timers.fired(wf)).timers, (t) => t.length >= 3, 25, 5_000);
  expect("timers", "due timers fire on the Durable Object alarm", fired.ok && fired.value.length === 3);
  expect("timers", "no timer fires before its time", fired.value.every((t) => t.firedAt >= t.firesAt));
  expect("timers", "a cancelled timer never fires", body<{ status: string }>(w.timers.status(`t3-${run}`)).status === "cancelled");
  expect("timers", "the long timer is still pending", body<{ timers: Array<{ timerId: string }> }>(w.timers.list(wf)).timers.map((t) => t.timerId).join() === `t5-${run}`);
  w.timers.cancelBatch([`t5-${run}`]);
  expect("timers", "cancel-batch cancels the rest", body<{ count: number }>(w.timers.list(wf)).count === 0);
  expect("timers", "nothing is past its deadline and unfired", body<{ count: number }>(w.timers.deadlineExceeded()).count === 0);
}

export default function (): void {
  const run = `${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${Date.now()}`;
  workflowChecks(run);
  activityChecks(run);
  signalChecks(run);
  timerChecks(run);
}

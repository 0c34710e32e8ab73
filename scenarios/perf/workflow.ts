// workflow.perf.do (contract §8) under sustained load: every iteration runs a workflow, a DAG, a
// retried step, a schedule lookup, a sensor check and a state save/load; a local, a remote
// (shard-key routed to another object) and a parallel activity plus a heartbeat; a signal sent and
// consumed; and a timer of 50–500 ms on the Durable Object alarm.
//
// Correctness under load: teardown() waits (bounded) for every timer to fire and checks that each
// iteration's timer fired exactly once and never early, and that every signal was consumed. How late
// each timer fired (alarm → fired, minus its due time) is recorded as the operation
// `timers.fire-lateness` (perfdo_latency), with its own threshold.

import { check } from "k6";
import exec from "k6/execution";
import { pollUntil } from "../../lib/k6/api/poll";
import { workflowApi } from "../../lib/k6/api/workflow.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { recordLatency } from "../../lib/k6/measure";
import { scenarioOptions, target } from "../../lib/k6/options";
import { hostFor } from "../../lib/k6/target";

// ~20 requests per iteration. Few VUs, each busy every ~second: see perf/advanced on keep-alive.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 5, vus: 3 }, extra: { teardownTimeout: "2m" } });

const w = workflowApi(namespaceClient(target, "workflow"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;

interface Setup {
  run: string;
  workflowId: string;
  dagId: string;
  scheduleId: string;
  sensorId: string;
}

export function setup(): Setup {
  w.timers.clear();
  const run = String(Date.now());
  const workflowId = body<{ workflowId: string }>(w.workflows.create("perf", [{ type: "add", value: 1 }, { type: "multiply", value: 2 }, { type: "append", value: "done" }], `perf-${run}`)).workflowId;
  const dagId = body<{ dagId: string }>(w.workflows.dagCreate([{ id: "a" }, { id: "b", dependsOn: ["a"] }, { id: "c", dependsOn: ["a"] }, { id: "d", dependsOn: ["b", "c"] }])).dagId;
  const scheduleId = body<{ scheduleId: string }>(w.workflows.scheduleRegister("*/5 9-17 * * 1-5")).scheduleId;
  const sensorId = body<{ sensorId: string }>(w.workflows.sensorCreate(workflowId, "ready", true)).sensorId;
  return { run, workflowId, dagId, scheduleId, sensorId };
}

export default function (data: Setup): void {
  const n = exec.scenario.iterationInTest;
  const wf = `${data.run}-${n}`;
  // workflows
  w.workflows.execute(data.workflowId, n);
  w.workflows.dagStart(data.dagId);
  w.workflows.retry({ type: "exponential", maxAttempts: 3, initialDelayMs: 1, multiplier: 2 }, 1);
  w.workflows.scheduleNext(data.scheduleId, Date.now());
  w.workflows.sensorCheck(data.sensorId);
  w.workflows.stateSave(data.workflowId, { iteration: n, ready: n % 2 === 0 });
  w.workflows.stateLoad(data.workflowId);
  // activities
  w.activities.local("hash", { n });
  w.activities.remote("sum", [n, 1], { routing: { type: "shardKey", key: `customer-${n % 16}` } });
  w.activities.parallel([1, 2, 3, 4].map((i) => ({ activity: "echo", input: i })));
  const long = body<{ activityId: string }>(w.activities.start("export", 30_000)).activityId;
  w.activities.heartbeat(long, { n });
  // signals: one sent and consumed per iteration
  w.signals.send(wf, "go", { n });
  w.signals.wait(wf, "go", 1_000);
  // timers: one per iteration, due in 50–500 ms
  w.timers.create({ id: `t-${wf}`, durationMs: 50 + ((n * 37) % 451), callback: { n }, workflowId: data.run });
  w.timers.remaining(`t-${wf}`);
}

export function teardown(data: Setup): void {
  type Fired = { timerId: string; firesAt: number; firedAt: number; latenessMs: number };
  const pending = pollUntil(() => body<{ count: number }>(w.timers.list(data.run)).count, (c) => c === 0, 100, 10_000);
  const fired = body<{ timers: Fired[] }>(w.timers.fired(data.run)).timers ?? [];
  const indices = fired.map((t) => Number(t.timerId.slice(`t-${data.run}-`.length))).sort((a, b) => a - b);
  const host = hostFor(target, "workflow");
  for (const t of fired) recordLatency("timers.fire-lateness", host, t.latenessMs);
  check(fired, {
    "workflow: every iteration's timer fired exactly once (none left pending)": () => pending.ok && indices.length > 0 && indices.every((v, i) => v === i),
    "workflow: no timer fired before its time": (ts) => ts.every((t) => t.firedAt >= t.firesAt),
  });
  let unconsumed = 0;
  for (let i = 0; i < indices.length; i++) unconsumed += body<{ count: number }>(w.signals.pending(`${data.run}-${i}`)).count;
  check(unconsumed, { "workflow: every signal sent under load was consumed": (u) => u === 0 });
}

// workflow.perf.do (contract §8), one place for its paths and bodies: workflows (DAGs, retries,
// schedules, sensors, state), activities, signals and timers. Used by e2e/workflow and perf/workflow.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

type Body = Record<string, unknown>;
const q = (params: Record<string, string | number>): string => Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join("&");

export function workflowApi(c: NamespaceClient) {
  const post = (name: string, path: string, body: Body = {}, meta?: OperationMeta): JsonResponse => c.post(name, path, body, meta);
  return {
    workflows: {
      create: (name: string, steps: Body[], workflowId?: string) => post("workflows.create", "/workflows/create", { name, steps, workflowId }),
      execute: (workflowId: string, input: unknown) => post("workflows.execute", "/workflows/execute", { workflowId, input }),
      executeParallel: (executions: Array<{ workflowId: string; input: unknown }>) => post("workflows.execute-parallel", "/workflows/execute-parallel", { executions }),
      executions: (workflowId: string) => c.get("workflows.executions", `/workflows/executions?${q({ workflowId })}`),
      dagCreate: (nodes: Array<{ id: string; dependsOn?: string[] }>, meta?: OperationMeta) => post("workflows.dag-create", "/workflows/dag/create", { nodes }, meta),
      dagStart: (dagId: string) => post("workflows.dag-start", "/workflows/dag/start", { dagId }),
      dagStatus: (dagId: string) => c.get("workflows.dag-status", `/workflows/dag/status?${q({ dagId })}`),
      retry: (retryPolicy: Body, failTimes: number) => post("workflows.retry-execute", "/workflows/retry/execute", { retryPolicy, failTimes }),
      scheduleRegister: (cron: string, name?: string, meta?: OperationMeta) => post("workflows.schedule-register", "/workflows/schedule/register", { cron, name }, meta),
      scheduleNext: (scheduleId: string, after: number, count = 1) => c.get("workflows.schedule-next", `/workflows/schedule/next?${q({ scheduleId, after, count })}`),
      sensorCreate: (workflowId: string, key: string, equals: unknown) => post("workflows.sensor-create", "/workflows/sensor/create", { workflowId, condition: { key, equals } }),
      sensorCheck: (sensorId: string) => c.get("workflows.sensor-check", `/workflows/sensor/check?${q({ sensorId })}`),
      stateSave: (workflowId: string, state: Body) => post("workflows.state-save", "/workflows/state/save", { workflowId, state }),
      stateLoad: (workflowId: string) => c.get("workflows.state-load", `/workflows/state/load?${q({ workflowId })}`),
      checkpoint: (workflowId: string) => post("workflows.state-checkpoint", "/workflows/state/checkpoint", { workflowId }),
      replay: (workflowId: string, checkpointId?: string) => post("workflows.state-replay", "/workflows/state/replay", { workflowId, checkpointId }),
      clear: (group?: string) => post("workflows.clear", group ? `/workflows/${group}/clear` : "/workflows/clear"),
    },
    activities: {
      local: (activity: string, input: unknown) => post("activities.execute-local", "/activities/execute-local", { activity, input }),
      remote: (activity: string, input: unknown, where: { targetDO?: string; routing?: { type: "shardKey"; key: string } }) => post("activities.execute-remote", "/activities/execute-remote", { activity, input, ...where }),
      parallel: (activities: Body[]) => post("activities.execute-parallel", "/activities/execute-parallel", { activities }),
      start: (activity: string, heartbeatTimeoutMs: number, activityId?: string) => post("activities.start-long-running", "/activities/start-long-running", { activity, heartbeatTimeoutMs, activityId }),
      heartbeat: (activityId: string, details: unknown) => post("activities.heartbeat", "/activities/heartbeat", { activityId, details }),
      cancel: (activityId: string) => post("activities.cancel", "/activities/cancel", { activityId }),
      isAlive: (activityId: string) => c.get("activities.is-alive", `/activities/is-alive?${q({ activityId })}`),
    },
    signals: {
      send: (workflowId: string, name: string, payload: unknown) => post("signals.send", "/signals/send", { workflowId, name, payload }),
      sendBatch: (signals: Array<{ workflowId: string; name: string; payload?: unknown }>) => post("signals.send-batch", "/signals/send-batch", { signals }),
      wait: (workflowId: string, name: string, timeout: number) => post("signals.wait", "/signals/wait", { workflowId, name, timeout }),
      consume: (workflowId: string, name?: string) => post("signals.consume", "/signals/consume", { workflowId, name }),
      cross: (fromWorkflowId: string, toWorkflowId: string, name: string, payload: unknown) => post("signals.cross-workflow", "/signals/cross-workflow", { fromWorkflowId, toWorkflowId, name, payload }),
      broadcast: (workflowIds: string[], name: string, payload: unknown) => post("signals.broadcast", "/signals/broadcast", { workflowIds, name, payload }),
      pending: (workflowId: string) => c.get("signals.pending", `/signals/pending?${q({ workflowId })}`),
      history: (workflowId: string) => c.get("signals.history", `/signals/history?${q({ workflowId })}`),
    },
    timers: {
      create: (t: { id?: string; durationMs?: number; deadline?: number; callback: unknown; workflowId?: string }) => post("timers.create", "/timers/create", t),
      createBatch: (timers: Body[]) => post("timers.create-batch", "/timers/create-batch", { timers }),
      cancel: (timerId: string) => post("timers.cancel", "/timers/cancel", { timerId }),
      cancelBatch: (timerIds: string[]) => post("timers.cancel-batch", "/timers/cancel-batch", { timerIds }),
      status: (timerId: string) => c.get("timers.status", `/timers/status?${q({ timerId })}`),
      remaining: (timerId: string) => c.get("timers.remaining", `/timers/remaining?${q({ timerId })}`),
      fired: (workflowId?: string) => c.get("timers.fired", `/timers/fired${workflowId ? `?${q({ workflowId })}` : ""}`),
      list: (workflowId?: string) => c.get("timers.list", `/timers/list${workflowId ? `?${q({ workflowId })}` : ""}`),
      deadlineExceeded: () => c.get("timers.deadline-exceeded", "/timers/deadline-exceeded"),
      approaching: (withinMs: number) => c.get("timers.approaching", `/timers/approaching?${q({ withinMs })}`),
      clear: () => post("timers.clear", "/timers/clear"),
    },
  };
}

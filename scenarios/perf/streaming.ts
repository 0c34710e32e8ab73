// streaming.perf.do (contract §7) under sustained load: every iteration runs each primitive's hot
// path once: windows (tumbling/sliding/session adds, a trigger, a sliding read), watermarks (advance,
// lateness check), a transaction (begin, two records, commit), dedup and an idempotent request, keyed
// and window state, partition routing, and CDC (capture, a batch of 10, a transform pipeline, a sink,
// an offset commit).
//
// Correctness under load: teardown() reads the whole CDC log and the transactions' committed output
// back and checks that they add up: every iteration's 11 captured events are in the log exactly once
// with increasing offsets, and its 2 committed records are in the output.

import { check } from "k6";
import exec from "k6/execution";
import { streamingApi } from "../../lib/k6/api/streaming.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// ~30 cheap requests per iteration. Few VUs, each busy every ~second: see perf/advanced on keep-alive.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 5, vus: 3 }, extra: { teardownTimeout: "2m" } });

const s = streamingApi(namespaceClient(target, "streaming"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;
const BATCH = 10;

export function setup(): { run: string } {
  s.cdc.clear();
  s.transactions.clear();
  s.state.clear();
  s.router.clear();
  s.watermarks.clear();
  return { run: String(Date.now()) };
}

export default function ({ run }: { run: string }): void {
  const n = exec.scenario.iterationInTest;
  const now = Date.now();
  const key = `k${n % 50}-${run}`;
  // windows
  s.windows.tumblingAdd(key, n % 100, now);
  s.windows.slidingAdd(key, n % 100, now);
  s.windows.sessionAdd(key, 1, now);
  s.windows.tumblingTrigger(now, key);
  s.windows.slidingGet(key, now);
  // watermarks
  s.watermarks.advance(`source-${exec.vu.idInTest}`, now);
  s.watermarks.checkLate(now - (n % 3) * 1000, 500);
  // transactions: one committed transaction of two records, a dedup and an idempotent request
  const tx = body<{ transactionId: string }>(s.transactions.begin(`tx-${run}-${n}`)).transactionId;
  s.transactions.addRecord(tx, { n, i: 0 });
  s.transactions.addRecord(tx, { n, i: 1 });
  s.transactions.commit(tx);
  s.transactions.dedupProcess(`msg-${run}-${n % 500}`);
  s.transactions.idempotent(`idem-${run}-${n}`, { n });
  // state
  s.state.update(`user-${n % 200}`, { n });
  s.state.get(`user-${(n * 7) % 200}`);
  s.state.list("user-1", 10, 0);
  s.state.windowAggregate(`w-${n % 20}`, String(Math.floor(now / 60_000)), n % 10);
  // router
  s.router.hash(`order-${n}`, 32);
  s.router.murmur3(`order-${n}`, 32);
  s.router.consistent(`order-${n}`, 32);
  s.router.leader(n % 32);
  // cdc
  const event = (i: number) => ({ operation: i === 0 ? "insert" : "update", table: "orders", before: null, after: { id: n, i, run, iteration: n, status: i % 2 ? "paid" : "new" }, timestamp: now });
  const captured = body<{ offset: number }>(s.cdc.capture(event(0))).offset;
  s.cdc.captureBatch(Array.from({ length: BATCH }, (_, i) => event(i + 1)));
  s.cdc.pipeline([event(1), event(2)], [{ type: "filter", predicate: { field: "after.status", value: "paid" } }, { type: "map", mapping: { status: "state" } }]);
  s.cdc.sink([event(1)], "warehouse");
  s.cdc.commit(`consumer-${exec.vu.idInTest}`, captured);
}

export function teardown({ run }: { run: string }): void {
  // The whole log, page by page (1,000 events a page).
  const perIteration = new Map<number, number>();
  let offsetsIncrease = true;
  let last = 0;
  for (let from = 1, pages = 0; pages < 1000; pages++) {
    const page = body<{ events: Array<{ offset: number; after?: { run?: string; iteration?: number } }> }>(s.cdc.log(from)).events ?? [];
    for (const e of page) {
      if (e.offset <= last) offsetsIncrease = false;
      last = e.offset;
      if (e.after?.run === run && typeof e.after.iteration === "number") perIteration.set(e.after.iteration, (perIteration.get(e.after.iteration) ?? 0) + 1);
    }
    if (page.length < 1000) break;
    from = last + 1;
  }
  const iterations = perIteration.size;
  const complete = [...perIteration.entries()].every(([n, count]) => count === BATCH + 1 && n < iterations);
  check(iterations, { "streaming: every iteration's captured events are in the CDC log exactly once": () => iterations > 0 && complete });
  check(offsetsIncrease, { "streaming: CDC offsets increase strictly": (ok) => ok });
  const committed = body<{ count: number }>(s.transactions.output()).count;
  check(committed, { "streaming: every committed transaction's records are in the output": (c) => c === iterations * 2 });
}

// E2E: streaming.perf.do (contract §7): windows, watermarks, transactions, state, router and CDC,
// every assertion a named check. One VU (smoke); each area starts from its /clear or from keys of
// its own run. Gate: 100 % of checks (thresholds/e2e/streaming.json); `npm run bench:e2e`.

import { sleep } from "k6";
import exec from "k6/execution";
import { streamingApi } from "../../lib/k6/api/streaming.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const s = streamingApi(namespaceClient(target, "streaming"));
const MIN = 60_000;
const T0 = 1_700_000_040_000 - (1_700_000_040_000 % MIN); // a minute boundary

type Agg = { count: number; sum: number; avg: number | null; min: number | null; max: number | null };

function windowChecks(run: string): void {
  const key = `clicks-${run}`;
  for (const [dt, v] of [[1_000, 1], [20_000, 2], [59_000, 3], [61_000, 10]] as const) s.windows.tumblingAdd(key, v, T0 + dt);
  const windows = body<{ windows: Array<Agg & { windowStart: number; fired: boolean }> }>(s.windows.tumblingGet(key)).windows;
  expect("windows", "tumbling: events fall into aligned 1-minute windows", windows.length === 2 && windows[0]?.windowStart === T0 && windows[0]?.count === 3 && windows[1]?.count === 1);
  expect("windows", "tumbling: a window aggregates sum, avg, min and max", windows[0]?.sum === 6 && windows[0]?.avg === 2 && windows[0]?.min === 1 && windows[0]?.max === 3);
  const fired = body<{ fired: Array<{ windowStart: number }> }>(s.windows.tumblingTrigger(T0 + MIN, key)).fired;
  expect("windows", "tumbling: a trigger at the window's end fires it, not the open one", fired.length === 1 && fired[0]?.windowStart === T0);
  expect("windows", "tumbling: a window fires once", body<{ fired: unknown[] }>(s.windows.tumblingTrigger(T0 + MIN, key)).fired.length === 0);

  const sk = `sliding-${run}`;
  for (const [dt, v] of [[0, 1], [15_000, 2], [45_000, 3], [70_000, 4]] as const) s.windows.slidingAdd(sk, v, T0 + dt, "1m", "10s");
  const slid = body<Agg & { windowStart: number; windowEnd: number }>(s.windows.slide(sk, T0 + 75_000));
  // At 75 s the window is [20 s, 80 s): the events at 45 s and 70 s.
  expect("windows", "sliding: the window covers the last windowSize up to the slide boundary", slid.windowStart === T0 + 20_000 && slid.windowEnd === T0 + 80_000 && slid.count === 2 && slid.sum === 7);
  expect("windows", "sliding: X-Current-Time sets the time of a read", body<Agg>(s.windows.slidingGet(sk, T0 + 30_000)).count === 2);

  const ses = `session-${run}`;
  for (const dt of [0, 10_000, 25_000, 120_000]) s.windows.sessionAdd(ses, 1, T0 + dt, "30s");
  expect("windows", "session: events within the gap join one session; a later one starts another", body<{ total: number; open: number }>(s.windows.sessionCount(ses)).total === 2);
  const closed = body<{ closed: Array<Agg & { start: number; end: number }> }>(s.windows.sessionClose(T0 + 200_000, ses)).closed;
  expect("windows", "session: close emits sessions whose gap has passed, with their span", closed.length === 1 && closed[0]?.count === 1 && closed[0]?.start === T0 + 120_000);
  expect("windows", "aggregate: sum over a key's events in a range", body<{ result: number }>(s.windows.aggregate("sum", key, T0, T0 + MIN)).result === 6);
  expect("windows", "aggregate: count and avg agree with the events", body<{ result: number }>(s.windows.aggregate("count", key)).result === 4 && body<{ result: number }>(s.windows.aggregate("avg", key)).result === 4);
}

function watermarkChecks(): void {
  s.watermarks.clear();
  s.watermarks.advance("a", T0 + 5_000);
  s.watermarks.advance("b", T0 + 3_000);
  expect("watermarks", "the stream watermark is the minimum over sources", body<{ watermark: number }>(s.watermarks.current()).watermark === T0 + 3_000);
  const back = body<{ advanced: boolean; watermark: number }>(s.watermarks.advance("a", T0 + 1_000));
  expect("watermarks", "a watermark never moves back", back.advanced === false && back.watermark === T0 + 5_000);
  const late = body<{ late: boolean }>(s.watermarks.checkLate(T0 + 1_000));
  const onTime = body<{ late: boolean }>(s.watermarks.checkLate(T0 + 4_000));
  expect("watermarks", "an event behind the watermark is late; one ahead is not", late.late === true && onTime.late === false);
  expect("watermarks", "allowed lateness admits an event within it", body<{ late: boolean }>(s.watermarks.checkLate(T0 + 1_000, 2_500)).late === false);
  const batch = body<{ late: number }>(s.watermarks.checkLateBatch([{ eventTime: T0 }, { eventTime: T0 + 2_999 }, { eventTime: T0 + 9_000 }]));
  expect("watermarks", "a batch check counts the late events", batch.late === 2);
  s.watermarks.advanceBatch([{ sourceId: "b", timestamp: T0 + 6_000 }, { sourceId: "c", timestamp: T0 + 7_000 }]);
  expect("watermarks", "all lists each source's watermark", JSON.stringify(body<{ sources: Record<string, number> }>(s.watermarks.all()).sources) === JSON.stringify({ a: T0 + 5_000, b: T0 + 6_000, c: T0 + 7_000 }));
  expect("watermarks", "emit sends each watermark once, increasing", body<{ emitted: boolean }>(s.watermarks.emit()).emitted === true && body<{ emitted: boolean }>(s.watermarks.emit()).emitted === false);
  expect("watermarks", "align brings every source to the highest", body<{ watermark: number }>(s.watermarks.align()).watermark === T0 + 7_000 && body<{ watermark: number }>(s.watermarks.min()).watermark === T0 + 7_000);
}

function transactionChecks(run: string): void {
  const tx = body<{ transactionId: string }>(s.transactions.begin(`tx-${run}`)).transactionId;
  s.transactions.addRecord(tx, { n: 1 });
  s.transactions.addRecord(tx, { n: 2 });
  expect("transactions", "records staged in an open transaction are not committed", body<{ staged: number; committed: number }>(s.transactions.status(tx)).committed === 0);
  expect("transactions", "commit makes every staged record visible", body<{ records: number }>(s.transactions.commit(tx)).records === 2 && body<{ committed: number }>(s.transactions.status(tx)).committed === 2);
  expect("transactions", "a committed transaction cannot commit again (409)", s.transactions.commit(tx, { expectStatus: [409] }).status === 409);
  const ab = body<{ transactionId: string }>(s.transactions.begin(`ab-${run}`)).transactionId;
  s.transactions.addRecord(ab, { n: 3 });
  expect("transactions", "abort discards the staged records", body<{ discarded: number }>(s.transactions.abort(ab)).discarded === 1 && body<{ committed: number; status: string }>(s.transactions.status(ab)).committed === 0);

  const msg = `m-${run}`;
  expect("transactions", "dedup: a new message is processed", body<{ processed: boolean }>(s.transactions.dedupProcess(msg)).processed === true);
  expect("transactions", "dedup: a duplicate message is not processed again", body<{ duplicate: boolean }>(s.transactions.dedupProcess(msg)).duplicate === true);
  const first = body<{ processingId: string; replayed: boolean }>(s.transactions.idempotent(`key-${run}`, { amount: 5 }));
  const again = body<{ processingId: string; replayed: boolean }>(s.transactions.idempotent(`key-${run}`, { amount: 5 }));
  expect("transactions", "Idempotency-Key: a repeat gets the first answer, marked replayed", first.replayed === false && again.replayed === true && again.processingId === first.processingId);
  const checked = body<{ seen: string[]; unseen: string[] }>(s.transactions.batchCheck([msg, `never-${run}`]));
  expect("transactions", "dedup: batch-check splits seen from unseen ids", checked.seen.join() === msg && checked.unseen.join() === `never-${run}`);
  expect("transactions", "dedup: check/:id reports a seen id", body<{ seen: boolean }>(s.transactions.check(msg)).seen === true);

  const cp = body<{ checkpointId: string }>(s.transactions.checkpoint({ "topic-0": 42 })).checkpointId;
  expect("transactions", "checkpoint/latest is the newest checkpoint with its offsets", body<{ checkpointId: string; offsets: Record<string, number> }>(s.transactions.latest()).offsets?.["topic-0"] === 42);
  const later = body<{ transactionId: string }>(s.transactions.begin(`late-${run}`)).transactionId;
  s.transactions.addRecord(later, { n: 4 });
  s.transactions.commit(later);
  const restored = body<{ rolledBack: number; offsets: Record<string, number> }>(s.transactions.restore(cp));
  expect("transactions", "restore rolls back output committed after the checkpoint", restored.rolledBack === 1 && restored.offsets?.["topic-0"] === 42);
  s.transactions.barrier(`b-${run}`, { operators: ["map", "sink"] });
  expect("transactions", "a barrier is aligned only when every operator acknowledged it",
    body<{ aligned: boolean }>(s.transactions.barrier(`b-${run}`, { operator: "map" })).aligned === false && body<{ aligned: boolean }>(s.transactions.barrier(`b-${run}`, { operator: "sink" })).aligned === true);

  const yes = body<{ prepared: boolean }>(s.transactions.prepare(`2pc-${run}`, [`p1-${run}`, `p2-${run}`]));
  expect("transactions", "2pc: every participant (another object) prepares and votes yes", yes.prepared === true);
  expect("transactions", "2pc: commit after unanimous yes commits", body<{ status: string }>(s.transactions.commit2pc(`2pc-${run}`)).status === "committed");
  s.transactions.prepare(`2pc-no-${run}`, [`p1-${run}`, { id: `p3-${run}`, voteNo: true }]);
  expect("transactions", "2pc: one no vote aborts everywhere", body<{ status: string }>(s.transactions.commit2pc(`2pc-no-${run}`)).status === "aborted");
}

function stateChecks(run: string): void {
  const p = `user-${run}-`;
  for (let i = 0; i < 5; i++) s.state.update(`${p}${i}`, { i });
  expect("state", "keyed get returns the value and its version", body<{ value: { i: number }; version: number }>(s.state.get(`${p}2`)).value.i === 2);
  s.state.update(`${p}2`, { i: 22 });
  expect("state", "an update bumps the version", body<{ version: number }>(s.state.get(`${p}2`)).version === 2);
  const page = body<{ entries: Array<{ key: string }>; total: number }>(s.state.list(p, 2, 1));
  expect("state", "list by X-Prefix pages with X-Limit and X-Offset", page.total === 5 && page.entries.map((e) => e.key).join() === `${p}1,${p}2`);
  const got = body<{ values: Record<string, unknown> }>(s.state.batchGet([`${p}0`, `${p}9`])).values;
  expect("state", "batch-get returns each key, null for a missing one", (got[`${p}0`] as { i: number })?.i === 0 && got[`${p}9`] === null);
  s.state.del(`${p}4`);
  expect("state", "a deleted key is gone", body<{ found: boolean }>(s.state.get(`${p}4`)).found === false);
  s.state.update(`${p}ttl`, 1, 1);
  sleep(0.02); // past its 1 ms ttl
  expect("state", "an entry past its ttl is invisible and cleaned up", body<{ found: boolean }>(s.state.get(`${p}ttl`)).found === false && body<{ removed: number }>(s.state.ttlCleanup()).removed >= 1);
  s.state.windowAggregate(`w-${run}`, "w1", 2);
  s.state.windowAggregate(`w-${run}`, "w1", 4);
  expect("state", "window state keeps count, sum and avg per key and window", (() => {
    const w = body<{ count: number; sum: number; avg: number }>(s.state.windowGet(`w-${run}`, "w1"));
    return w.count === 2 && w.sum === 6 && w.avg === 3;
  })());
  const full = body<{ checkpointId: string; kind: string }>(s.state.checkpoint());
  s.state.update(`${p}0`, { i: 100 });
  s.state.del(`${p}1`);
  const inc = body<{ checkpointId: string; kind: string; entries: number }>(s.state.incremental());
  expect("state", "an incremental checkpoint holds only the keys changed since the last", inc.kind === "incremental" && inc.entries === 2);
  s.state.update(`${p}0`, { i: 999 });
  s.state.restore(inc.checkpointId);
  expect("state", "restoring an incremental checkpoint replays its chain", body<{ value: { i: number } }>(s.state.get(`${p}0`)).value.i === 100 && body<{ found: boolean }>(s.state.get(`${p}1`)).found === false);
  s.state.restore(full.checkpointId);
  expect("state", "restoring the full checkpoint brings back what it held", body<{ value: { i: number } }>(s.state.get(`${p}0`)).value.i === 0 && body<{ found: boolean }>(s.state.get(`${p}1`)).found === true);
}

function routerChecks(run: string): void {
  s.router.clear();
  const a = body<{ partition: number }>(s.router.hash(`order-${run}`, 12)).partition;
  expect("router", "hash routing is stable for a key and within range", a === body<{ partition: number }>(s.router.hash(`order-${run}`, 12)).partition && a >= 0 && a < 12);
  expect("router", "murmur3 is MurmurHash3 x86 32-bit (seed 0) mod the partitions", body<{ partition: number }>(s.router.murmur3("hello", 100_000)).partition === 613153351 % 100_000);
  const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
  const spread = new Set(body<{ routes: Array<{ partition: number }> }>(s.router.hashBatch(keys, 8)).routes.map((r) => r.partition));
  expect("router", "a batch of keys spreads over every partition", spread.size === 8);
  const moved = keys.slice(0, 100).filter((k) => body<{ partition: number }>(s.router.consistent(k, 8)).partition !== body<{ partition: number }>(s.router.consistent(k, 9)).partition).length;
  expect("router", "consistent hashing moves few keys when a partition is added (≤ 25 %)", moved <= 25);
  s.router.rangeConfigure([{ min: 0, max: 100, partition: 0 }, { min: 100, max: 1000, partition: 1 }]);
  expect("router", "range routing puts a key in its configured range", body<{ partition: number }>(s.router.range(150)).partition === 1 && body<{ partition: number }>(s.router.range(5)).partition === 0);
  const rr = body<{ assignment: Record<string, number[]> }>(s.router.assign("round-robin", ["c1", "c2", "c3"], 7)).assignment;
  expect("router", "round-robin assigns every partition once, evenly", rr.c1?.join() === "0,3,6" && rr.c2?.join() === "1,4" && rr.c3?.join() === "2,5");
  const before = body<{ assignment: Record<string, number[]> }>(s.router.assign("range", ["c1", "c2"], 6)).assignment;
  const sticky = body<{ assignment: Record<string, number[]>; kept: number }>(s.router.assign("sticky", ["c1", "c2", "c3"], 6, before));
  expect("router", "sticky assignment keeps owners where it can and balances", sticky.kept === 4 && Object.values(sticky.assignment).every((ps) => ps.length === 2));
  const plan = body<{ planId: string; moves: unknown[] }>(s.router.plan(["c1", "c2", "c3"], 6, before));
  expect("router", "a rebalance plan lists only the partitions that move", plan.moves.length === 2);
  expect("router", "applying a plan makes it the assignment", body<{ applied: boolean }>(s.router.apply(plan.planId)).applied === true);
  s.router.tableUpdate(`vip-${run}`, 3);
  expect("router", "the routing table overrides the hash", body<{ partition: number }>(s.router.hash(`vip-${run}`, 12)).partition === 3 && body<{ partition: number }>(s.router.tableLookup(`vip-${run}`)).partition === 3);
  expect("router", "each partition has a leader among its replicas", (() => {
    const l = body<{ leader: string; replicas: string[] }>(s.router.leader(4));
    return l.replicas.includes(l.leader);
  })());
}

function cdcChecks(run: string): void {
  s.cdc.clear();
  const ev = (op: string, id: number, status: string) => ({ operation: op, table: "orders", before: null, after: { id, status, total: id * 10 }, timestamp: T0 + id });
  const o1 = body<{ offset: number }>(s.cdc.capture(ev("insert", 1, "new"))).offset;
  const batch = body<{ firstOffset: number; lastOffset: number }>(s.cdc.captureBatch([ev("insert", 2, "new"), ev("update", 1, "paid"), ev("delete", 3, "new")]));
  expect("cdc", "capture assigns increasing offsets", batch.firstOffset === o1 + 1 && batch.lastOffset === o1 + 3);
  const events = [ev("insert", 1, "new"), ev("update", 2, "paid"), ev("update", 3, "paid")];
  expect("cdc", "filter keeps the events matching a predicate on a nested field", body<{ output: number }>(s.cdc.filter(events, { field: "after.status", value: "paid" })).output === 2);
  const renamed = body<{ events: Array<{ after: Record<string, unknown> }> }>(s.cdc.map(events, { total: "amount", status: null })).events;
  expect("cdc", "map renames and drops fields", renamed[0]?.after.amount === 10 && !("status" in (renamed[0]?.after ?? {})));
  const shaped = body<{ valid: boolean; events: Array<{ after: Record<string, unknown> }> }>(s.cdc.schema(events, { id: "number", status: "string", region: "string" }));
  expect("cdc", "schema conforms rows: missing fields null, unknown ones dropped", shaped.valid && shaped.events[0]?.after.region === null && !("total" in (shaped.events[0]?.after ?? {})));
  const piped = body<{ output: number }>(s.cdc.pipeline(events, [{ type: "filter", predicate: { field: "operation", value: "update" } }, { type: "map", mapping: { total: "amount" } }]));
  expect("cdc", "a pipeline applies its steps in order", piped.output === 2);
  s.cdc.sink(events, `wh-${run}`);
  s.cdc.sinkMulti(events.slice(0, 1), [`wh-${run}`, `lake-${run}`]);
  expect("cdc", "sinks keep what they are sent, per sink", body<{ count: number }>(s.cdc.sinkCount(`wh-${run}`)).count === 4 && body<{ count: number }>(s.cdc.sinkCount(`lake-${run}`)).count === 1);
  const retried = body<{ delivered: boolean; attempts: number; backoffMs: number[] }>(s.cdc.sinkWithRetry(events, `flaky-${run}`, 2));
  expect("cdc", "a failing sink is retried with exponential backoff until it accepts", retried.delivered && retried.attempts === 3 && retried.backoffMs.join() === "1,2");
  expect("cdc", "a sink failing past maxRetries is dead-lettered", body<{ delivered: boolean }>(s.cdc.sinkWithRetry(events, `down-${run}`, 5, 2)).delivered === false);
  s.cdc.bufferAdd([ev("insert", 7, "new"), ev("insert", 8, "new")]);
  expect("cdc", "the buffer holds events until flushed", body<{ size: number }>(s.cdc.bufferSize()).size === 2);
  const flushed = body<{ flushed: number; latestOffset: number }>(s.cdc.flush());
  expect("cdc", "flush appends the buffer to the log and empties it", flushed.flushed === 2 && flushed.latestOffset === o1 + 5 && body<{ size: number }>(s.cdc.bufferSize()).size === 0);
  const src = `consumer-${run}`;
  s.cdc.commit(src, o1 + 3);
  s.cdc.commit(src, o1 + 1);
  const at = body<{ committed: number; lag: number }>(s.cdc.current(src));
  expect("cdc", "committed offsets never move back; lag is latest minus committed", at.committed === o1 + 3 && at.lag === 2);
  s.cdc.reset(src, o1);
  expect("cdc", "reset moves the committed offset to the one asked", body<{ committed: number }>(s.cdc.current(src)).committed === o1);
}

export default function (): void {
  const run = `${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${Date.now()}`;
  windowChecks(run);
  watermarkChecks();
  transactionChecks(run);
  stateChecks(run);
  routerChecks(run);
  cdcChecks(run);
}

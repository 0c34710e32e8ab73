// E2E: the core 7 stores on stores.perf.do (contract §5), every assertion a named check.
// Low concurrency on purpose: this verifies behaviour, it does not measure capacity.
// Gate: 100 % of checks (thresholds/e2e/stores.json); run with `npm run bench:e2e`.

import exec from "k6/execution";
import { storesApi } from "../../lib/k6/api/stores.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const { things: th, relationships: rel, actions: act, events: ev, search: se, objects: obj, dlq: dq } = storesApi(namespaceClient(target, "stores"));
const NOT_FOUND = { expectStatus: [404] };
const CONFLICT = { expectStatus: [409] };

type Thing = { $id: string; name: string; data: Record<string, unknown>; version: number };

function things(run: string): void {
  const type = `E2E${run}`;
  const created = body<Thing>(th.create({ $type: type, name: "widget", data: { color: "red", size: 1 } }));
  if (!expect("things", "create returns $id and version 1", typeof created.$id === "string" && created.version === 1)) return;
  const id = created.$id;
  expect("things", "get returns what was created", body<Thing>(th.get(id)).data.color === "red");
  const merged = body<Thing>(th.merge(id, { data: { size: 2 } }));
  expect("things", "merge patch keeps other fields", merged.data.color === "red" && merged.data.size === 2);
  expect("things", "an update bumps the version", merged.version === 2);
  expect("things", "?version=1 returns the old data", body<Thing>(th.getVersion(id, 1)).data.size === 1);
  expect("things", "/versions lists every version", (body<{ versions: unknown[] }>(th.versions(id)).versions ?? []).length === 2);
  const listed = body<{ things: Thing[]; total: number }>(th.list(type, 10));
  expect("things", "list by type finds it", listed.total === 1 && listed.things[0]?.$id === created.$id);
  th.batch([{ $type: type, name: "a" }, { $type: type, name: "b" }]);
  expect("things", "batch creates every item", body<{ total: number }>(th.list(type)).total === 3);
  th.remove(id);
  expect("things", "a deleted thing is gone (404)", th.get(id, NOT_FOUND).status === 404);
}

function relationships(run: string): void {
  const a = `user-${run}`;
  const b = `org-${run}`;
  const edge = body<{ id: string }>(rel.create("memberOf", a, b));
  expect("relationships", "create returns id", typeof edge.id === "string");
  const out = body<Array<{ to: string }>>(rel.from(a, "memberOf"));
  expect("relationships", "from/:id lists the target", out.length === 1 && out[0]?.to === b);
  const inbound = body<Array<{ from: string }>>(rel.to(b));
  expect("relationships", "to/:id lists the source", inbound.length === 1 && inbound[0]?.from === a);
  rel.remove(edge.id);
  expect("relationships", "a deleted edge is gone", body<unknown[]>(rel.from(a)).length === 0);
}

function actions(run: string): void {
  const input = { verb: "notify", target: `thing-${run}`, actor: "e2e", durability: "do", requestId: `req-${run}` };
  const action = body<{ id: string; status: string }>(act.create(input));
  expect("actions", "a new action is pending", action.status === "pending");
  expect("actions", "the same requestId returns the same action", body<{ id: string }>(act.create(input)).id === action.id);
  expect("actions", "complete before start is refused (409)", act.complete(action.id, undefined, CONFLICT).status === 409);
  expect("actions", "start makes it running", body<{ status: string }>(act.start(action.id)).status === "running");
  const done = body<{ status: string; output: { sent: boolean } }>(act.complete(action.id, { sent: true }));
  expect("actions", "complete records the output", done.status === "completed" && done.output?.sent === true);
  const other = body<{ id: string }>(act.create({ verb: "charge", target: `thing-${run}`, actor: "e2e" }));
  act.fail(other.id, { message: "card declined", code: "E42" });
  expect("actions", "retry returns a failed action to pending", body<{ status: string }>(act.retry(other.id)).status === "pending");
  expect("actions", "list by target finds both", body<unknown[]>(act.byTarget(`thing-${run}`)).length === 2);
}

function events(run: string): void {
  const source = `src-${run}`;
  const one = body<{ sequence: number }>(ev.create({ verb: "created", source, data: { n: 1 } }));
  const batch = body<{ events: Array<{ sequence: number; id: string }> }>(ev.batch([{ verb: "updated", source }, { verb: "deleted", source }]));
  const sequences = [one.sequence, ...(batch.events ?? []).map((e) => e.sequence)];
  expect("events", "sequences increase strictly", sequences.length === 3 && sequences.every((q, i) => i === 0 || q > (sequences[i - 1] as number)));
  const replay = body<{ events: Array<{ sequence: number }> }>(ev.replay(one.sequence, 3));
  expect("events", "replay from a sequence starts there", replay.events?.[0]?.sequence === one.sequence);
  const listed = body<Array<{ verb: string }>>(ev.bySource(source, "orderBy=sequence&order=asc"));
  expect("events", "list by source returns them in order", listed.map((e) => e.verb).join() === "created,updated,deleted");
  ev.markStreamed(String(batch.events?.[0]?.id));
  expect("events", "streamed=false leaves out streamed events", body<unknown[]>(ev.bySource(source, "streamed=false")).length === 2);
}

function search(run: string): void {
  const docs = [
    { $id: `doc-${run}-1`, $type: "Guide", content: `durable objects keep state close to compute ${run}` },
    { $id: `doc-${run}-2`, $type: "Note", content: `workers answer requests at the edge ${run}` },
  ];
  se.indexBatch(docs);
  const hits = body<{ results: Array<{ $id: string }>; facets?: { type: Record<string, number> } }>(se.query(`durable+${run}`, "facets=true"));
  expect("search", "keyword search finds the indexed document", hits.results?.[0]?.$id === docs[0]?.$id);
  expect("search", "facets count by type", (hits.facets?.type.Guide ?? 0) >= 1);
  expect("search", "a type filter excludes other types", body<{ results: unknown[] }>(se.query(run, "type=Note")).results.length === 1);
  const semantic = body<{ results: Array<{ $id: string }> }>(se.semantic(`edge+workers+${run}`));
  expect("search", "semantic ranks the closest document first", semantic.results?.[0]?.$id === docs[1]?.$id);
  expect("search", "hybrid returns results", body<{ results: unknown[] }>(se.hybrid(`state+${run}`)).results.length >= 1);
  se.unindex(String(docs[0]?.$id));
  expect("search", "an unindexed document is no longer found", body<{ results: Array<{ $id: string }> }>(se.query(`durable+${run}`)).results.every((h) => h.$id !== docs[0]?.$id));
}

function objects(run: string): void {
  const a = `obj-${run}-a`;
  const b = `obj-${run}-b`;
  obj.register({ ns: a, id: a, class: "Counter", region: "us-east", shardKey: `sk-${run}`, shardIndex: 0, colo: "IAD" });
  obj.register({ ns: b, id: b, class: "Counter", region: "eu-west", shardKey: `sk-${run}`, shardIndex: 1 });
  expect("objects", "a registered object can be read", body<{ region: string }>(obj.get(a)).region === "us-east");
  expect("objects", "PATCH moves its colo", body<{ colo: string }>(obj.move(b, "CDG")).colo === "CDG");
  const shards = body<{ shards: Array<{ ns: string }> }>(obj.shards(`sk-${run}`));
  expect("objects", "shards/:key lists both in shard order", shards.shards?.map((x) => x.ns).join() === `${a},${b}`);
  expect("objects", "resolve goes through the shared shard", body<{ via: string }>(obj.resolve(a, b)).via === "shard");
  obj.remove(b);
  expect("objects", "a deleted object is gone (404)", obj.get(b, NOT_FOUND).status === 404);
}

function dlq(run: string): void {
  const entry = body<{ id: string; exhausted: boolean }>(dq.create({ eventId: `ev-${run}`, verb: `dlq-${run}`, source: "e2e", data: { n: 1 }, error: "timeout", maxRetries: 2 }));
  expect("dlq", "a new entry is not exhausted", entry.exhausted === false);
  dq.increment(entry.id);
  const after = body<{ retries: number; exhausted: boolean }>(dq.increment(entry.id));
  expect("dlq", "maxRetries increments exhaust it", after.retries === 2 && after.exhausted === true);
  expect("dlq", "exhausted=true lists it", body<Array<{ id: string }>>(dq.list(`verb=dlq-${run}&exhausted=true`)).some((e) => e.id === entry.id));
  expect("dlq", "stats count it", (body<{ byVerb: Record<string, number> }>(dq.stats()).byVerb?.[`dlq-${run}`] ?? 0) === 1);
  const replay = body<{ replayed: boolean; event: { verb: string } }>(dq.replay(entry.id));
  expect("dlq", "replay re-emits the event", replay.replayed === true && replay.event?.verb === `dlq-${run}`);
  expect("dlq", "a replayed entry leaves the queue (404)", dq.get(entry.id, NOT_FOUND).status === 404);
}

export default function (): void {
  const run = `${exec.vu.idInTest}x${exec.scenario.iterationInTest}x${Date.now().toString(36)}`;
  things(run);
  relationships(run);
  actions(run);
  events(run);
  search(run);
  objects(run);
  dlq(run);
}

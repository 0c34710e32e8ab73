import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// What perf.do's own suite relies on beyond a route existing (docs/contract.md, "perf.do's own
// suite"): the defaults it leaves out, the shapes it reads, the header it reads the colo from, ids
// with slashes. Called through miniflare's dispatchFetch, each test on storage of its own where the
// namespace allows it (`replicated` is one fixed object: its tests use keys of their own).

let worker: WorkerUnderTest;
let seq = 0;
before(async () => (worker = await startWorkerMiniflare()));
after(() => worker?.dispose());

const fresh = (family: string): string => `${family}-s${++seq}-${process.pid}`;

async function call(namespace: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await worker.mf.dispatchFetch(`https://${namespace}.perf.do${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers as unknown as Headers };
}

describe("reference Worker: what perf.do's own suite relies on", () => {
  it("a shard route that names no namespace acts on the one sharded last", async () => {
    const ns = fresh("shardme");
    assert.equal((await call(ns, "POST", "/route", { key: "k" })).status, 404, "nothing sharded yet: 404");
    assert.equal((await call(ns, "POST", "/shard", { namespace: "users", shardCount: 4 })).status, 201);
    assert.equal((await call(ns, "POST", "/shard", { namespace: "orders", shardCount: 2 })).status, 201);
    const routed = await call(ns, "POST", "/route", { key: "user-1" });
    assert.equal(routed.status, 200, JSON.stringify(routed.json));
    assert.ok((routed.json.shardId as number) < 2, `routed in orders (2 shards), the last sharded: ${JSON.stringify(routed.json)}`);
    const write = await call(ns, "POST", "/write", { id: "o-1", data: { n: 1 } });
    assert.ok(write.status < 300, JSON.stringify(write.json));
    const count = await call(ns, "GET", "/count");
    assert.equal(count.json.namespace, "orders");
    assert.equal((await call(ns, "GET", "/count?namespace=users")).json.count, 0, "a namespace named still means that one");
  });

  it("reads an unknown replica from the primary when allowFallback=true, and 404s without it", async () => {
    const ns = fresh("replme");
    await call(ns, "POST", "/write", { key: "item-1", value: { v: 1 } });
    const fell = await call(ns, "GET", "/read?key=item-1&replica=invalid-region&allowFallback=true");
    assert.equal(fell.status, 200, JSON.stringify(fell.json));
    assert.deepEqual([fell.json.servedBy, fell.json.fallback, fell.json.value], ["primary", true, { v: 1 }]);
    assert.equal((await call(ns, "GET", "/read?key=item-1&replica=invalid-region")).status, 404);
  });

  it("a write with targetReplica: true lands on every replica at once", async () => {
    const ns = fresh("replme");
    assert.equal((await call(ns, "POST", "/replicate", { mode: "async", replicaId: "r1", targetRegion: "LHR", config: { maxLagMs: 60_000 } })).status, 201);
    const w = await call(ns, "POST", "/write", { key: "k", value: 2, targetReplica: true });
    assert.equal(w.status, 201, JSON.stringify(w.json));
    assert.deepEqual(w.json.replicated, ["r1"]);
    assert.equal((await call(ns, "GET", "/read?key=k&replica=r1")).json.value, 2, "on the replica despite its 60 s lag");
  });

  it("failover to, and a partition of, a replica never made create it first and say so", async () => {
    const ns = fresh("replme");
    await call(ns, "POST", "/write", { key: "a", value: 1 });
    const failover = await call(ns, "POST", "/failover", { promoteReplica: "replica-0", reason: "test" });
    assert.equal(failover.status, 200, JSON.stringify(failover.json));
    assert.deepEqual([failover.json.newPrimary, failover.json.created], ["replica-0", true]);
    assert.equal((await call(ns, "GET", "/read?key=a")).json.value, 1, "the promoted copy held the primary's data");
    const partition = await call(ns, "POST", "/simulate/partition", { replicaId: "partition-0", durationMs: 50 });
    assert.deepEqual([partition.status, partition.json.created], [200, true]);
    assert.equal((await call(ns, "GET", "/replica/status?replicaId=partition-0")).json.healthy, false, "partitioned");
    await new Promise((r) => setTimeout(r, 80));
    assert.equal((await call(ns, "GET", "/replica/status?replicaId=partition-0")).json.healthy, true, "healed after its duration");
  });

  it("GET /data with no key reads the last value written with no key, as {value}, in constant size", async () => {
    for (let i = 1; i <= 3; i++) assert.equal((await call("replicated", "POST", "/data", { value: i })).status, 200);
    const read = await call("replicated", "GET", "/data?replica=primary");
    assert.equal(read.status, 200, JSON.stringify(read.json));
    assert.equal(read.json.value, 3);
    assert.equal(read.json.values, undefined, "not every value ever written");
    await call("replicated", "POST", "/data", { key: "named", value: "n" });
    assert.equal((await call("replicated", "GET", "/data?replica=primary")).json.value, 3, "a named write leaves the unnamed value alone");
    assert.equal((await call("replicated", "GET", "/data/named?replica=primary")).json.value, "n");
  });

  it("answers with a cf-ray naming the local model's home colo", async () => {
    const res = await call(fresh("echo"), "GET", "/ping");
    assert.match(res.headers.get("cf-ray") ?? "", /^[0-9a-f]{16}-IAD$/);
  });

  it("relationships answer on graph. and standards., and an id may hold a slash, encoded or not", async () => {
    for (const family of ["graph", "standards"]) {
      const ns = fresh(family);
      assert.equal((await call(ns, "POST", "/relationships", { verb: "uses", from: "Occupation/15-1252.00", to: "Tool/IDE-001" })).status, 201);
      const from = await call(ns, "GET", "/relationships/from/Occupation%2F15-1252.00?verb=uses");
      assert.equal(from.status, 200);
      assert.deepEqual((from.json as unknown as Array<{ to: string }>).map((r) => r.to), ["Tool/IDE-001"], family);
      const to = await call(ns, "GET", "/relationships/to/Tool/IDE-001");
      assert.deepEqual((to.json as unknown as Array<{ from: string }>).map((r) => r.from), ["Occupation/15-1252.00"], `${family}: unencoded slash`);
    }
  });

  it("a fresh object serves a first write, read, query and numbered table (cold-start operations)", async () => {
    const ns = fresh("cold");
    for (let i = 0; i < 30; i++) assert.equal((await call(ns, "POST", "/items", { id: `item-${i}`, category: `cat-${i % 10}`, tags: ["a"] })).status, 201);
    assert.deepEqual((await call(ns, "GET", "/items/item-7")).json, { id: "item-7", category: "cat-7", tags: ["a"] });
    assert.equal((await call(ns, "GET", "/items/none")).status, 404);
    const q = await call(ns, "GET", "/query?category=cat-5&sort=-id&limit=2");
    assert.deepEqual((q.json.items as Array<{ id: string }>).map((i) => i.id), ["item-5", "item-25"].sort().reverse());
    assert.equal((await call(ns, "GET", "/query?id=item-1")).json.count, 1);
    assert.equal((await call(ns, "GET", "/query?sort=id;DROP")).status, 400, "a sort that is not a field name");
    assert.equal((await call(ns, "GET", "/table3?limit=1")).json.count, 0, "a table never written is empty");
    assert.equal((await call(ns, "POST", "/table3", { key: "row-1", data: "x" })).status, 201);
    assert.deepEqual((await call(ns, "GET", "/table3?limit=1")).json.rows, [{ key: "row-1", data: "x" }]);
    assert.equal((await call(ns, "GET", "/table64")).status, 400, "tables are numbered 0–63");
  });

  it("POST /state {key, data} writes as PUT does, and /state/stats reads it all", async () => {
    const ns = fresh("cold");
    assert.equal((await call(ns, "POST", "/state", { key: "chunk-0", data: "x".repeat(1000) })).status, 201);
    assert.equal((await call(ns, "GET", "/state?key=chunk-0")).json.value, "x".repeat(1000));
    const stats = await call(ns, "GET", "/state/stats");
    assert.equal(stats.json.keys, 1);
    assert.ok((stats.json.bytes as number) >= 1000, JSON.stringify(stats.json));
  });

  it("GET /shard/route and /shard/scatter route with the defaults on an object where nothing was sharded", async () => {
    const ns = fresh("cold");
    const route = await call(ns, "GET", "/shard/route?key=tenant-123");
    assert.equal(route.status, 200, JSON.stringify(route.json));
    assert.deepEqual([route.json.configured, route.json.shardCount], [false, 4]);
    const scatter = await call(ns, "GET", "/shard/scatter?query=all");
    assert.deepEqual([scatter.status, scatter.json.shardsQueried, scatter.json.total], [200, 4, 0]);
    assert.equal((await call(ns, "GET", "/shard/route")).status, 400);
  });

  it("POST /promote makes an entity an active object in one step, and again replaces its data", async () => {
    const ns = fresh("cold");
    const first = await call(ns, "POST", "/promote", { entity: "Customer", id: "c-1", data: { n: 1 } });
    assert.deepEqual([first.status, first.json.promoted], [200, true], JSON.stringify(first.json));
    assert.equal((await call(ns, "GET", "/objects/c-1/status")).json.status, "active");
    const again = await call(ns, "POST", "/promote", { entity: "Customer", id: "c-1", data: { n: 2 } });
    assert.deepEqual([again.status, again.json.promoted], [200, false]);
  });

  it("completes a pending best-effort action in one step (one attempt); a durable one must be started first", async () => {
    const ns = fresh("stores");
    const a = await call(ns, "POST", "/actions", { verb: "process", target: "Item/1", actor: "Worker/b", durability: "try" });
    const done = await call(ns, "POST", `/actions/${a.json.id as string}/complete`);
    assert.deepEqual([done.status, done.json.status, done.json.attempts], [200, "completed", 1], JSON.stringify(done.json));
    assert.equal((await call(ns, "POST", `/actions/${a.json.id as string}/complete`)).status, 409, "completed already");
    const durable = await call(ns, "POST", "/actions", { verb: "process", target: "Item/2", actor: "Worker/b", durability: "do" });
    assert.equal((await call(ns, "POST", `/actions/${durable.json.id as string}/complete`)).status, 409, "a durable action is refused before start");
  });

  it("a whole URL as the path means that URL (a base URL joined with an absolute one)", async () => {
    const target = fresh("forked");
    await call(target, "PUT", "/state", { key: "secret", value: 42 });
    const res = await call(fresh("fork"), "GET", `/https://${target}.perf.do/state?key=secret`);
    assert.deepEqual([res.status, res.json.value], [200, 42]);
  });

  it("walks the standards as one graph: traversal, shortest path, similarity", async () => {
    const ns = fresh("standards");
    await call(ns, "POST", "/occupations/batch", { rows: [{ code: "15-1252.00", title: "Software Developers", major_group: "15" }, { code: "15-1253.00", title: "Software Testers", major_group: "15" }, { code: "29-1141.00", title: "Nurses", major_group: "29" }] });
    await call(ns, "POST", "/tools/batch", { rows: [
      { id: "t1", occupation: "15-1252.00", tool: "IDE", category: "software", unspsc: "43232402" },
      { id: "t2", occupation: "15-1253.00", tool: "IDE", category: "software", unspsc: "43232408" },
      { id: "t3", occupation: "29-1141.00", tool: "Stethoscope", category: "medical", unspsc: "42181902" },
    ] });
    await call(ns, "POST", "/tasks/batch", { rows: [{ id: "k1", occupation: "15-1252.00", task: "Write code", type: "Core", importance: 4 }, { id: "k2", occupation: "15-1253.00", task: "Write code", type: "Core", importance: 3 }] });
    await call(ns, "POST", "/commodities/batch", { rows: ["43232402", "43232408", "42181902"].map((code) => ({ code, title: code, segment: code.slice(0, 2), family: code.slice(0, 4), class: code.slice(0, 6), segment_title: "" })) });
    const q = await call(ns, "POST", "/graph/query", { start: { type: "occupation", id: "15-1252.00" }, traverse: [{ edge: "uses_tool", direction: "outbound" }, { edge: "classified_as", direction: "outbound" }, { edge: "parent", direction: "outbound", depth: 3 }], return: "full_path" });
    assert.equal(q.status, 200, JSON.stringify(q.json));
    assert.deepEqual((q.json.results as Array<{ node: { id: string } }>).map((r) => r.node.id).sort(), ["43", "4323", "432324"], "the tool's UNSPSC class, family and segment");
    const path = await call(ns, "POST", "/graph/shortest-path", { from: { type: "occupation", id: "15-1252.00" }, to: { type: "occupation", id: "15-1253.00" }, maxHops: 6 });
    // occupation → tool → commodity → its class ← the other commodity ← its tool ← the other occupation
    assert.deepEqual([path.json.found, path.json.hops], [true, 6], JSON.stringify(path.json));
    assert.deepEqual((path.json.path as Array<{ node: { id: string } }>).map((p) => p.node.id), ["15-1252.00", "t1", "43232402", "432324", "43232408", "t2", "15-1253.00"]);
    const far = await call(ns, "POST", "/graph/shortest-path", { from: { type: "occupation", id: "15-1252.00" }, to: { type: "occupation", id: "29-1141.00" }, maxHops: 6 });
    assert.equal(far.json.found, false, "no path within 6 hops: the tools share no segment");
    const sim = await call(ns, "POST", "/graph/similarity", { occupation: "15-1252.00", factors: ["tasks", "tools", "titles"], topN: 5 });
    assert.deepEqual((sim.json.results as Array<{ occupation: string; similarity: number }>).map((r) => [r.occupation, r.similarity]), [["15-1253.00", 1]]);
    assert.deepEqual(sim.json.unavailable, ["titles"], "a factor with no data is named, not faked");
  });

  it("apqc.: a process hierarchy whose ids say where each process sits", async () => {
    const ns = fresh("apqc");
    const rows = [["8.0", "Manage IT"], ["8.1", "Manage IT strategy"], ["8.1.1", "Align IT strategy"], ["8.1.1.1", "Analyze requirements"], ["8.1.1.2", "Plan capacity"], ["8.2", "Manage IT services"], ["7.0", "Manage people"]];
    assert.equal((await call(ns, "POST", "/processes/batch", { processes: rows.map(([pcf_id, name]) => ({ pcf_id, name })) })).status, 201);
    assert.deepEqual(((await call(ns, "GET", "/processes/8.1/children")).json as unknown as Array<{ pcf_id: string }>).map((r) => r.pcf_id), ["8.1.1"]);
    assert.deepEqual(((await call(ns, "GET", "/processes/pcf/8.1.1.1/ancestors")).json as unknown as Array<{ pcf_id: string; known: boolean }>).map((r) => r.pcf_id), ["8.1.1", "8.1", "8.0"]);
    assert.deepEqual(((await call(ns, "GET", "/processes/pcf/8.1.1.1/siblings")).json as unknown as Array<{ pcf_id: string }>).map((r) => r.pcf_id), ["8.1.1.2"]);
    const path = await call(ns, "POST", "/processes/path", { from_id: "8.1.1.1", to_id: "8.2" });
    assert.deepEqual([path.json.common_ancestor, path.json.hops], ["8.0", 4], JSON.stringify(path.json));
    assert.equal(((await call(ns, "POST", "/processes/common-ancestor", { node_a: "8.1.1.1", node_b: "8.1.1.2" })).json.common_ancestor as { pcf_id: string }).pcf_id, "8.1.1");
    assert.equal((await call(ns, "POST", "/processes/common-ancestor", { node_a: "8.1", node_b: "7.0" })).json.common_ancestor, null, "two categories share none");
    assert.equal((await call(ns, "POST", "/processes/subtree", { root_id: "8.0", max_depth: 1 })).json.count, 3, "8.0 and its two groups");
    assert.deepEqual((await call(ns, "GET", "/processes/8.0/depth-stats")).json.byLevel, { 2: 2, 3: 1, 4: 2 });
    assert.equal(((await call(ns, "GET", "/processes/hierarchy-view")).json.roots as unknown[]).length, 2);
    assert.equal((await call(ns, "GET", "/processes/pcf/8.x")).status, 400);
  });

  it("wiki.: Wikidata entities in, statements queried by subject, object, rank, reference and qualifier bound", async () => {
    const ns = fresh("wiki");
    const q42 = {
      id: "Q42", type: "item",
      labels: { en: { language: "en", value: "Douglas Adams" }, de: { language: "de", value: "Douglas Adams" } },
      aliases: { en: [{ language: "en", value: "DNA" }] },
      claims: {
        P31: [{ mainsnak: { snaktype: "value", property: "P31", datavalue: { value: { "entity-type": "item", id: "Q5" }, type: "wikibase-entityid" } }, rank: "normal", references: [{ snaks: {} }] }],
        P39: [{ mainsnak: { datavalue: { value: { id: "Q11696" } } }, qualifiers: { P580: [{ property: "P580", datavalue: { value: { time: "+2009-01-20T00:00:00Z" }, type: "time" } }] } }],
      },
      sitelinks: { enwiki: { site: "enwiki", title: "Douglas Adams" } },
    };
    const put = await call(ns, "POST", "/ingest/entity", q42);
    assert.deepEqual([put.status, put.json.statements], [201, 2], JSON.stringify(put.json));
    assert.equal(((await call(ns, "GET", "/entities/Q42")).json.labels as Record<string, { value: string }>).en?.value, "Douglas Adams");
    assert.equal((await call(ns, "GET", "/entities/Q42/label/de")).json.value, "Douglas Adams");
    assert.equal((await call(ns, "GET", "/sitelinks/enwiki/Douglas%20Adams")).json.qid, "Q42");
    await call(ns, "POST", "/statements/batch", { statements: [{ subject: "Q937", predicate: "P31", object: "Q5" }, { subject: "Q42", predicate: "P569", object: "+1952-03-11T00:00:00Z", rank: "preferred" }] });
    const humans = (await call(ns, "GET", "/statements?predicate=P31&object=Q5")).json as unknown as Array<{ subject: string }>;
    assert.deepEqual(humans.map((h) => h.subject).sort(), ["Q42", "Q937"]);
    assert.deepEqual(((await call(ns, "GET", "/statements?subject=Q42&rank=preferred")).json as unknown as Array<{ predicate: string }>).map((r) => r.predicate), ["P569"]);
    assert.deepEqual(((await call(ns, "GET", "/statements?subject=Q42&hasReference=true")).json as unknown as Array<{ predicate: string }>).map((r) => r.predicate), ["P31"]);
    // a `+` in a query string reads back as a space: the bound still compares as a time
    assert.equal(((await call(ns, "GET", "/statements?subject=Q42&predicate=P39&qualifier.P580[gte]=+2008-01-01T00:00:00Z")).json as unknown as unknown[]).length, 1);
    assert.equal(((await call(ns, "GET", "/statements?subject=Q42&predicate=P39&qualifier.P580[gte]=%2B2010-01-01T00:00:00Z")).json as unknown as unknown[]).length, 0);
    assert.deepEqual(((await call(ns, "GET", "/graph/edges/to/Q5?predicate=P31")).json as unknown as Array<{ subject: string }>).map((e) => e.subject).sort(), ["Q42", "Q937"]);
    assert.equal((await call(ns, "GET", "/graph/stats/property/P31")).json.count, 2);
    assert.deepEqual(((await call(ns, "GET", "/labels/search?q=Doug*&language=en")).json as unknown as Array<{ id: string }>).map((l) => l.id), ["Q42"]);
    assert.equal((await call(ns, "PUT", "/entities/X1", {})).status, 400, "not a Wikidata id");
  });

  it("job-titles.: titles normalised and mapped to occupations, fuzzy matching, career paths along seniority", async () => {
    const ns = fresh("job-titles");
    const rows = [["Software Engineer", "15-1252.00"], ["Senior Software Engineer", "15-1252.00"], ["Lead Software Engineer", "15-1252.00"], ["Software Developer", "15-1252.00"], ["QA Engineer", "15-1253.00"], ["Registered Nurse", "29-1141.00"]];
    assert.equal((await call(ns, "POST", "/titles/batch", { titles: rows.map(([title, occupation_code]) => ({ title, occupation_code })) })).status, 201);
    const mapped = await call(ns, "POST", "/titles/map", { title: "Sr. Software Engineer" });
    assert.deepEqual((mapped.json.matches as Array<{ occupation: string; via: string }>).map((m) => [m.occupation, m.via]), [["15-1252.00", "title"]], "Sr. reads as senior");
    assert.equal(((await call(ns, "POST", "/titles/map", { title: "Principal Software Engineer" })).json.matches as Array<{ via: string }>)[0]?.via, "base", "an unseen seniority maps by its base");
    const fuzzy = await call(ns, "POST", "/titles/fuzzy", { query: "Registerd Nurse", maxDistance: 2 });
    assert.deepEqual((fuzzy.json.matches as Array<{ title: string; distance: number }>).map((m) => [m.title, m.distance]), [["Registered Nurse", 1]]);
    const up = await call(ns, "POST", "/titles/career-paths", { currentTitle: "Software Engineer", direction: "advance" });
    assert.deepEqual(up.json.paths, ["Senior Software Engineer", "Lead Software Engineer"]);
    const dedup = await call(ns, "POST", "/titles/deduplicate", { titles: ["Software Engineer", "software engineer", "SOFTWARE-ENGINEER", "Registered Nurse"], threshold: 0.8 });
    assert.equal(dedup.json.unique, 2);
    const valid = await call(ns, "POST", "/titles/bulk-validate", { pairs: [{ title: "QA Engineer", claimed_occupation: "15-1253.00" }, { title: "QA Engineer", claimed_occupation: "29-1141.00" }] });
    assert.deepEqual([valid.json.valid, valid.json.invalid], [1, 1]);
    assert.equal((await call(ns, "POST", "/titles/fuzzy", { query: "x".repeat(201) })).status, 400, "a title is at most 200 characters: edit distance costs the product of two lengths");
  });
});


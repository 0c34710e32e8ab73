import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// O*NET's tools, technologies, tasks and skills (deploy/src/features/onet.ts) through miniflare, on
// members of the onet family of their own (`onet-w<n>`).

let worker: WorkerUnderTest;
let seq = 0;
before(async () => (worker = await startWorkerMiniflare()));
after(() => worker?.dispose());
const fresh = (): string => `onet-w${++seq}x${process.pid}`;

async function call<T = Record<string, unknown>>(ns: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await worker.mf.dispatchFetch(`https://${ns}.perf.do${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as T };
}
const ok = async <T = Record<string, unknown>>(ns: string, method: string, path: string, body?: unknown): Promise<T> => {
  const r = await call<T>(ns, method, path, body);
  assert.ok(r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
};

describe("reference Worker: O*NET tools and technologies", () => {
  it("keeps a tool's occupations and reads its UNSPSC hierarchy, named where commodities are loaded", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/commodities/batch", { rows: [{ code: "43", title: "IT equipment" }, { code: "4323", title: "Software" }, { code: "432324", title: "Development software" }, { code: "43232402", title: "Compilers" }] });
    await ok(ns, "POST", "/occupations/batch", { rows: [{ code: "15-1252.00", title: "Software Developers", major_group: "15" }, { code: "15-1253.00", title: "Software Testers", major_group: "15" }] });
    await ok(ns, "POST", "/tools", { id: "t1", name: "Compiler suite", occupation_codes: ["15-1252.00", "15-1253.00"], category: "software", hot_technology: true, commodity_code: "43232402" });
    await ok(ns, "POST", "/tools", { id: "t2", name: "Torque wrench", occupation_codes: ["15-1253.00"], category: "hand tools", commodity_code: "27111701" });
    assert.deepEqual((await ok<{ occupations: Array<{ code: string; title: string }> }>(ns, "GET", "/tools/t1/occupations")).occupations.map((o) => o.title), ["Software Developers", "Software Testers"]);
    const h = await ok<{ hierarchy: Record<string, { code: string; title: string | null }> }>(ns, "GET", "/tools/t1/unspsc");
    assert.deepEqual(Object.values(h.hierarchy).map((x) => `${x.code}:${x.title}`), ["43:IT equipment", "4323:Software", "432324:Development software", "43232402:Compilers"]);
    assert.deepEqual((await ok<{ tools: Array<{ id: string }> }>(ns, "POST", "/tools/with-hierarchy", { unspscPrefix: "4323", limit: 20 })).tools.map((t) => t.id), ["t1"]);
    assert.deepEqual((await ok<{ occupations: Array<{ code: string }> }>(ns, "GET", "/occupations?usesUnspsc=43")).occupations.map((o) => o.code), ["15-1252.00"]);
    const sim = await ok<{ tools: { jaccard: number } }>(ns, "POST", "/tools/similarity", { occupation_a: "15-1252.00", occupation_b: "15-1253.00" });
    assert.equal(sim.tools.jaccard, 0.5, "one tool shared of two");
    assert.deepEqual((await ok<{ tools: Array<{ id: string }> }>(ns, "GET", "/equipment/search?q=torque")).tools.map((t) => t.id), ["t2"]);
    await ok(ns, "POST", "/technologies", { id: "x1", name: "TypeScript", occupation_codes: ["15-1252.00"], category: "languages", hot_technology: true, example_products: ["tsc"] });
    await ok(ns, "POST", "/technologies", { id: "x2", name: "COBOL", occupation_codes: ["15-1252.00"], hot_technology: false });
    assert.deepEqual((await ok<{ technologies: Array<{ id: string }> }>(ns, "GET", "/technologies?occupation=15-1252.00&hotOnly=true")).technologies.map((t) => t.id), ["x1"]);
    assert.equal((await call(ns, "POST", "/tools", { id: "t3", name: "x", occupation_codes: ["not-a-code"] })).status, 400);
    // A batch in O*NET's shape, and one of the tools table's rows: each reaches its own reader.
    await ok(ns, "POST", "/tools/batch", { tools: [{ id: "t4", name: "Soldering iron", occupation_codes: ["15-1253.00"], commodity_code: "23271800" }] });
    await ok(ns, "POST", "/tools/batch", { rows: [{ id: "t5", occupation: "15-1253.00", tool: "Multimeter", category: "meters", unspsc: "41113600" }] });
    assert.deepEqual((await ok<{ tools: Array<{ id: string }> }>(ns, "GET", "/tools?occupation=15-1253.00")).tools.map((t) => t.id), ["t2", "t4", "t5"]);
  });
});

describe("reference Worker: O*NET tasks and skills", () => {
  it("infers skills from task texts until ratings are loaded, and says which it used", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/tasks", { id: "a1", occupation_code: "15-1252.00", description: "Write and debug program code for software systems", importance: 4.5, relevance: 90, frequency: 5 });
    await ok(ns, "POST", "/tasks", { id: "a2", occupation_code: "15-1252.00", description: "Analyze user requirements", importance: 4.0 });
    await ok(ns, "POST", "/tasks", { id: "b1", occupation_code: "29-1141.00", description: "Monitor patient condition and record vital signs", importance: 4.8 });
    assert.deepEqual((await ok<{ relevance: number; frequency: number }>(ns, "GET", "/tasks/a1")), { id: "a1", occupation: "15-1252.00", task: "Write and debug program code for software systems", type: "Core", importance: 4.5, relevance: 90, frequency: 5 });
    const skills = await ok<{ source: string; skills: Array<{ skill: string }> }>(ns, "GET", "/tasks/a1/skills");
    assert.equal(skills.source, "inferred");
    assert.ok(["Programming", "Writing", "Troubleshooting"].every((s) => skills.skills.some((x) => x.skill === s)), JSON.stringify(skills.skills));
    const overlap = await ok<{ shared: string[]; jaccard: number }>(ns, "POST", "/tasks/skill-overlap", { occupation_a: "15-1252.00", occupation_b: "29-1141.00" });
    assert.ok(overlap.jaccard < 0.5, `a developer and a nurse share little: ${JSON.stringify(overlap)}`);
    const ranked = await ok<{ source: string; occupations: Array<{ occupation: string }> }>(ns, "GET", "/occupations/rank-by-skill?skill=Programming");
    assert.deepEqual([ranked.source, ranked.occupations.map((o) => o.occupation)], ["inferred", ["15-1252.00"]]);
    await ok(ns, "POST", "/skills/batch", { rows: [{ occupation: "29-1141.00", skill: "Programming", importance: 1.5, level: 0.5 }, { occupation: "15-1252.00", skill: "Programming", importance: 4.9, level: 6 }] });
    const rated = await ok<{ source: string; occupations: Array<{ occupation: string }> }>(ns, "GET", "/occupations/rank-by-skill?skill=Programming");
    assert.deepEqual([rated.source, rated.occupations.map((o) => o.occupation)], ["rated", ["15-1252.00", "29-1141.00"]]);
    assert.equal((await ok<{ source: string }>(ns, "POST", "/tasks/extract-skills", { occupation_code: "15-1252.00", include_levels: true })).source, "rated");
    assert.deepEqual((await ok<{ tasks: Array<{ id: string }> }>(ns, "GET", "/tasks/export?majorGroup=15")).tasks.map((t) => t.id), ["a1", "a2"]);
    assert.deepEqual((await ok<{ tasks: Array<{ id: string }> }>(ns, "GET", "/tasks/search?q=vital%20signs")).tasks.map((t) => t.id), ["b1"]);
    await ok(ns, "POST", "/tasks/batch", { tasks: [{ id: "b2", occupation_code: "29-1141.00", description: "Administer medications", importance: 4.2, relevance: 80 }] });
    assert.equal((await ok<{ relevance: number }>(ns, "GET", "/tasks/b2")).relevance, 80);
    assert.equal((await call(ns, "POST", "/skills/batch", { rows: [{ occupation: "15-1252.00", skill: "Juggling" }] })).status, 400);
  });
});

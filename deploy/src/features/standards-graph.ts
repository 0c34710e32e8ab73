import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { s as v, withBody } from "../input";
import { fail, json } from "../http";
import { all } from "../sql";

// The standards as one graph (standards.): the datasets' tables read as typed edges, so a question
// that crosses them is a walk, answered inside the object. Nodes are `{type, id}`:
//   occupation ─has_task→ task       (tasks.occupation)
//   occupation ─uses_tool→ tool      (tools.occupation; `uses` is the same edge)
//   tool ─classified_as→ unspsc      (tools.unspsc)
//   unspsc ─parent→ unspsc           (commodity 8 digits → class 6 → family 4 → segment 2)
//   naics ─parent→ naics             (industries.parent)
// and any relationship stored on the namespace (POST /relationships {from, verb, to}) is an edge named
// by its verb between the ids as written. An edge with no data here (`requires_skill` when no skill
// was ever related) reaches nothing: the answer is empty, not an error.
//   POST /graph/query {start: {type, id} | {type, match}, traverse: [{edge, direction, target?, depth?}], return?, limit?}
//   POST /graph/shortest-path {from, to, edgeTypes?, maxHops?}       breadth first, both directions
//   POST /graph/similarity {occupation, factors?, weights?, topN?}   weighted Jaccard over shared tools, task texts, UNSPSC classes

const MAX_FRONTIER = 2_000; // nodes one step may reach (each costs a few indexed reads per edge type)
const MAX_HOPS = 6;
const MAX_CANDIDATES = 2_000;

interface Node { type: string; id: string }
const key = (n: Node): string => `${n.type}:${n.id}`;
const Direction = v.literal("outbound", "inbound", "both");
const NodeRef = v.object({ type: v.string({ min: 1 }), id: v.optional(v.string()), match: v.optional(v.string()) });
const Step = v.object({ edge: v.string({ min: 1 }), direction: v.optional(Direction), target: v.optional(v.string()), depth: v.optional(v.number({ integer: true, min: 1, max: MAX_HOPS })) });
const QueryBody = v.object({ start: NodeRef, traverse: v.array(Step, { min: 1, max: MAX_HOPS }), return: v.optional(v.string()), limit: v.optional(v.number({ integer: true, min: 1, max: 1000 })) });
const PathBody = v.object({ from: NodeRef, to: NodeRef, edgeTypes: v.optional(v.array(v.string(), { max: 20 })), maxHops: v.optional(v.number({ integer: true, min: 1, max: MAX_HOPS })) });
const SimilarityBody = v.object({ occupation: v.string({ min: 1 }), factors: v.optional(v.array(v.string(), { max: 10 })), weights: v.optional(v.record()), topN: v.optional(v.number({ integer: true, min: 1, max: 100 })) });

const hasTable = (sql: SqlStorage, name: string): boolean => all(sql, "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", name).length > 0;

/** The nodes one edge reaches from `n`, in one direction. */
function step(sql: SqlStorage, n: Node, edge: string, direction: "outbound" | "inbound", tables: Set<string>): Node[] {
  const rows = (table: string, q: string, ...p: SqlStorageValue[]): Array<Record<string, string>> => (tables.has(table) ? all<Record<string, string>>(sql, `${q} LIMIT ${MAX_FRONTIER}`, ...p) : []);
  const out: Node[] = [];
  const e = edge === "uses" ? "uses_tool" : edge;
  if (e === "has_task" && direction === "outbound" && n.type === "occupation") out.push(...rows("tasks", "SELECT id FROM tasks WHERE occupation = ?", n.id).map((r) => ({ type: "task", id: String(r.id) })));
  if (e === "has_task" && direction === "inbound" && n.type === "task") out.push(...rows("tasks", "SELECT occupation FROM tasks WHERE id = ?", n.id).map((r) => ({ type: "occupation", id: String(r.occupation) })));
  if (e === "uses_tool" && direction === "outbound" && n.type === "occupation") out.push(...rows("tools", "SELECT id FROM tools WHERE occupation = ?", n.id).map((r) => ({ type: "tool", id: String(r.id) })));
  if (e === "uses_tool" && direction === "inbound" && n.type === "tool") out.push(...rows("tools", "SELECT occupation FROM tools WHERE id = ?", n.id).map((r) => ({ type: "occupation", id: String(r.occupation) })));
  if (e === "classified_as" && direction === "outbound" && n.type === "tool") out.push(...rows("tools", "SELECT unspsc FROM tools WHERE id = ? AND unspsc IS NOT NULL", n.id).map((r) => ({ type: "unspsc", id: String(r.unspsc) })));
  if (e === "classified_as" && direction === "inbound" && n.type === "unspsc") out.push(...rows("tools", "SELECT id FROM tools WHERE unspsc = ?", n.id).map((r) => ({ type: "tool", id: String(r.id) })));
  if (e === "parent" && n.type === "unspsc") {
    // 8 → 6 → 4 → 2 digits up; down, the codes one level longer that start with this one
    if (direction === "outbound" && n.id.length > 2) out.push({ type: "unspsc", id: n.id.slice(0, n.id.length - 2) });
    if (direction === "inbound" && n.id.length < 8) {
      const col = n.id.length === 2 ? "family" : n.id.length === 4 ? "class" : "code";
      out.push(...rows("commodities", `SELECT DISTINCT ${col} AS c FROM commodities WHERE ${col} LIKE ? || '%' AND length(${col}) = ?`, n.id, n.id.length + 2).map((r) => ({ type: "unspsc", id: String(r.c) })));
    }
  }
  if (e === "parent" && n.type === "naics") {
    if (direction === "outbound") out.push(...rows("industries", "SELECT parent FROM industries WHERE code = ? AND parent IS NOT NULL AND parent != ''", n.id).map((r) => ({ type: "naics", id: String(r.parent) })));
    else out.push(...rows("industries", "SELECT code FROM industries WHERE parent = ?", n.id).map((r) => ({ type: "naics", id: String(r.code) })));
  }
  // Relationships name their ends as written (`Occupation/15-1252.00`): matched on the id, or on `Type/id`.
  if (tables.has("relationships")) {
    const names = [n.id, `${n.type[0]?.toUpperCase() ?? ""}${n.type.slice(1)}/${n.id}`];
    const [mine, theirs] = direction === "outbound" ? ["src", "dst"] : ["dst", "src"];
    for (const r of all<{ other: string }>(sql, `SELECT ${theirs} AS other FROM relationships WHERE verb = ? AND ${mine} IN (?, ?) LIMIT ${MAX_FRONTIER}`, edge, ...names)) {
      const slash = r.other.indexOf("/");
      out.push(slash > 0 ? { type: r.other.slice(0, slash).toLowerCase(), id: r.other.slice(slash + 1) } : { type: "node", id: r.other });
    }
  }
  return out;
}

function standardsGraphRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const tablesNow = (): Set<string> => new Set(["tasks", "tools", "commodities", "industries", "occupations", "relationships"].filter((t) => hasTable(sql, t)));
  const startNodes = (ref: { type: string; id?: string; match?: string }, tables: Set<string>): Node[] => {
    if (ref.id !== undefined) return [{ type: ref.type, id: ref.id }];
    if (ref.match === undefined) return [];
    if (ref.type === "occupation" && tables.has("occupations")) return all<{ code: string }>(sql, "SELECT code FROM occupations WHERE title LIKE '%' || ? || '%' LIMIT 50", ref.match).map((r) => ({ type: "occupation", id: r.code }));
    return [{ type: ref.type, id: ref.match }];
  };

  router.post("/graph/query", withBody(QueryBody, (body) => {
    const tables = tablesNow();
    let frontier = new Map(startNodes(body.start, tables).map((n) => [key(n), { node: n, path: [n] }]));
    const start = new Set(frontier.keys());
    const steps: Array<{ edge: string; direction: string; reached: number }> = [];
    for (const s of body.traverse) {
      const directions: Array<"outbound" | "inbound"> = s.direction === "both" ? ["outbound", "inbound"] : [s.direction ?? "outbound"];
      let reached = new Map<string, { node: Node; path: Node[] }>();
      let layer = frontier;
      for (let d = 0; d < (s.depth ?? 1) && layer.size > 0; d++) {
        const next = new Map<string, { node: Node; path: Node[] }>();
        for (const { node, path } of layer.values()) {
          for (const dir of directions) {
            for (const m of step(sql, node, s.edge, dir, tables)) {
              if (s.target !== undefined && m.type !== s.target && s.depth === undefined) continue;
              if (!next.has(key(m)) && next.size < MAX_FRONTIER) next.set(key(m), { node: m, path: [...path, m] });
            }
          }
        }
        for (const [k, val] of next) if (!reached.has(k)) reached.set(k, val);
        layer = next;
      }
      if (reached.size > MAX_FRONTIER) reached = new Map([...reached].slice(0, MAX_FRONTIER));
      steps.push({ edge: s.edge, direction: s.direction ?? "outbound", reached: reached.size });
      frontier = reached;
    }
    const limit = body.limit ?? 100;
    let results = [...frontier.values()];
    if (body.return === "distinct_occupations") results = results.filter((r) => r.node.type === "occupation" && !start.has(key(r.node)));
    return json({ start: [...start], steps, count: results.length, results: results.slice(0, limit).map((r) => (body.return === "full_path" ? { node: r.node, path: r.path } : r.node)) });
  }));

  router.post("/graph/shortest-path", withBody(PathBody, (body) => {
    const tables = tablesNow();
    const [from] = startNodes(body.from, tables);
    const [to] = startNodes(body.to, tables);
    if (!from || !to) return fail(400, "POST /graph/shortest-path: from and to each need {type, id}");
    const edges = body.edgeTypes ?? ["has_task", "uses_tool", "classified_as", "parent"];
    const maxHops = body.maxHops ?? 4;
    const prev = new Map<string, { node: Node; via: string | null; edge: string | null }>([[key(from), { node: from, via: null, edge: null }]]);
    let layer = [from];
    let visited = 1;
    for (let hop = 0; hop < maxHops && layer.length > 0 && !prev.has(key(to)); hop++) {
      const next: Node[] = [];
      for (const n of layer) {
        for (const edge of edges) {
          for (const dir of ["outbound", "inbound"] as const) {
            for (const m of step(sql, n, edge, dir, tables)) {
              if (prev.has(key(m)) || visited >= MAX_FRONTIER) continue;
              prev.set(key(m), { node: m, via: key(n), edge });
              next.push(m);
              visited++;
            }
          }
        }
      }
      layer = next;
    }
    if (!prev.has(key(to))) return json({ found: false, hops: null, path: [], visited, maxHops });
    const path: Array<{ node: Node; edge: string | null }> = [];
    for (let at: string | null = key(to); at !== null; ) {
      const p = prev.get(at) as { node: Node; via: string | null; edge: string | null };
      path.unshift({ node: p.node, edge: p.edge });
      at = p.via;
    }
    return json({ found: true, hops: path.length - 1, path, visited, maxHops });
  }));

  // Weighted Jaccard of feature sets: tools by UNSPSC class (6 digits), tasks by their text. Factors
  // with no data here (technologies, titles) are named in `unavailable` and weigh nothing.
  router.post("/graph/similarity", withBody(SimilarityBody, (body) => {
    const tables = tablesNow();
    const factors = body.factors ?? ["tasks", "tools"];
    // A map with no prototype: a factor named "__proto__" or "constructor" is simply unavailable.
    const sets: Record<string, (code: string) => Set<string>> = Object.create(null) as Record<string, (code: string) => Set<string>>;
    if (tables.has("tasks")) sets.tasks = (code) => new Set(all<{ t: string }>(sql, "SELECT task AS t FROM tasks WHERE occupation = ? LIMIT 1000", code).map((r) => r.t));
    if (tables.has("tools")) sets.tools = (code) => new Set(all<{ t: string }>(sql, "SELECT substr(unspsc, 1, 6) AS t FROM tools WHERE occupation = ? AND unspsc IS NOT NULL LIMIT 1000", code).map((r) => r.t));
    const used = factors.filter((f) => sets[f]);
    const mine = Object.fromEntries(used.map((f) => [f, (sets[f] as (c: string) => Set<string>)(body.occupation)]));
    const candidates = new Set<string>();
    if (used.includes("tools")) for (const r of all<{ o: string }>(sql, `SELECT DISTINCT occupation AS o FROM tools WHERE substr(unspsc, 1, 6) IN (SELECT substr(unspsc, 1, 6) FROM tools WHERE occupation = ?) LIMIT ${MAX_CANDIDATES}`, body.occupation)) candidates.add(r.o);
    if (used.includes("tasks")) for (const r of all<{ o: string }>(sql, `SELECT DISTINCT occupation AS o FROM tasks WHERE task IN (SELECT task FROM tasks WHERE occupation = ?) LIMIT ${MAX_CANDIDATES}`, body.occupation)) candidates.add(r.o);
    candidates.delete(body.occupation);
    const weight = (f: string): number => (typeof body.weights?.[f] === "number" ? (body.weights[f] as number) : 1);
    const total = used.reduce((s, f) => s + weight(f), 0) || 1;
    const jaccard = (a: Set<string>, b: Set<string>): number => {
      let both = 0;
      for (const x of a) if (b.has(x)) both++;
      const either = a.size + b.size - both;
      return either === 0 ? 0 : both / either;
    };
    const scored = [...candidates].slice(0, MAX_CANDIDATES).map((o) => {
      const by = Object.fromEntries(used.map((f) => [f, jaccard(mine[f] as Set<string>, (sets[f] as (c: string) => Set<string>)(o))]));
      return { occupation: o, similarity: used.reduce((s, f) => s + weight(f) * (by[f] as number), 0) / total, by };
    });
    scored.sort((a, b) => b.similarity - a.similarity || a.occupation.localeCompare(b.occupation));
    return json({ occupation: body.occupation, factors: used, unavailable: factors.filter((f) => !sets[f]), candidates: candidates.size, results: scored.slice(0, body.topN ?? 10) });
  }));
}

export const standardsGraph: Feature = {
  name: "standards-graph",
  serves: ["standards"],
  uses: ["datasets", "relationships"],
  routes: standardsGraphRoutes,
};

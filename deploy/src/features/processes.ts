import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s as v, withBody, withInput, withQuery } from "../input";
import { fail, json } from "../http";
import { all, first, type Row as SqlRow } from "../sql";

// APQC's Process Classification Framework (apqc.): a process hierarchy whose ids say where a process
// sits. `8.0` is a category (level 1), `8.1` a process group under it, `8.1.1` a process, `8.1.1.1` an
// activity, `8.1.1.1.1` a task. So the parent, the ancestors, a path and a common ancestor follow from
// the ids themselves, for processes imported or not (an answer marks the ones this object holds with
// their names); children, siblings, subtrees, counts and the hierarchy view read the imported rows.

const MAX_ROWS = 10_000;

function migrateProcesses(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS apqc_processes (pcf_id TEXT PRIMARY KEY, id TEXT, name TEXT NOT NULL, description TEXT, level INTEGER NOT NULL, category TEXT NOT NULL, parent TEXT)");
  sql.exec("CREATE INDEX IF NOT EXISTS apqc_parent ON apqc_processes (parent)");
  sql.exec("CREATE INDEX IF NOT EXISTS apqc_category ON apqc_processes (category, level)");
}

const PCF = /^\d{1,4}(\.\d{1,4}){1,7}$/;
/** `8.0` → 1, `8.1` → 2, `8.1.1` → 3. */
export const levelOf = (pcf: string): number => (/^\d+\.0$/.test(pcf) ? 1 : pcf.split(".").length);
/** `8.1.1` → `8.1`; `8.1` → `8.0`; a category has none. */
export const parentOf = (pcf: string): string | null => (levelOf(pcf) === 1 ? null : levelOf(pcf) === 2 ? `${pcf.split(".")[0]}.0` : pcf.slice(0, pcf.lastIndexOf(".")));
/** Every ancestor, nearest first. */
export function ancestorsOf(pcf: string): string[] {
  const out: string[] = [];
  for (let p = parentOf(pcf); p !== null; p = parentOf(p)) out.push(p);
  return out;
}
const categoryOf = (pcf: string): string => `${pcf.split(".")[0]}.0`;

const Process = v.object({
  pcf_id: v.string({ pattern: PCF, expected: "a PCF id like 8.1.1" }),
  id: v.optional(v.string()),
  name: v.string({ min: 1 }),
  description: v.optional(v.string()),
  level: v.optional(v.number({ integer: true, min: 1, max: 8 })),
  category_id: v.optional(v.string()),
});
type ProcessIn = { pcf_id: string; id?: string; name: string; description?: string };

interface Row extends SqlRow { pcf_id: string; id: string | null; name: string; description: string | null; level: number; category: string; parent: string | null }
const view = (r: Row) => ({ pcf_id: r.pcf_id, id: r.id, name: r.name, description: r.description, level: r.level, category_id: r.category, parent_id: r.parent });

function processRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  const put = (p: ProcessIn): void => {
    sql.exec(
      "INSERT INTO apqc_processes (pcf_id, id, name, description, level, category, parent) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(pcf_id) DO UPDATE SET id = excluded.id, name = excluded.name, description = excluded.description",
      p.pcf_id, p.id ?? null, p.name, p.description ?? null, levelOf(p.pcf_id), categoryOf(p.pcf_id), parentOf(p.pcf_id),
    );
  };
  const get = (pcf: string): Row | undefined => first<Row>(sql, "SELECT * FROM apqc_processes WHERE pcf_id = ?", pcf);
  const named = (pcf: string) => {
    const r = get(pcf);
    return { pcf_id: pcf, level: levelOf(pcf), name: r?.name ?? null, known: r !== undefined };
  };
  /** The rows under `root` (itself included) down to `maxDepth` levels below it. */
  const under = (root: string, maxDepth: number): Row[] => {
    const below = levelOf(root) + maxDepth;
    return levelOf(root) === 1
      ? all<Row>(sql, "SELECT * FROM apqc_processes WHERE category = ? AND level <= ? ORDER BY level, pcf_id LIMIT ?", root, below, MAX_ROWS)
      : all<Row>(sql, "SELECT * FROM apqc_processes WHERE (pcf_id = ? OR pcf_id LIKE ? || '.%') AND level <= ? ORDER BY level, pcf_id LIMIT ?", root, root, below, MAX_ROWS);
  };
  const Pcf = { pcf: v.string({ max: 64, pattern: PCF, expected: "a PCF id (digits and dots, like 8.1.1)" }) };

  router.post("/processes/batch", withBody(v.object({ processes: v.array(Process, { min: 1, max: 1000 }) }), ({ processes }) => {
    transaction(() => processes.forEach(put));
    return json({ imported: processes.length }, 201);
  }));
  // A branch at once: {category, processGroup, process, activities: […]} (any of them).
  router.post("/processes/tree", withBody(v.object({ category: v.optional(Process), processGroup: v.optional(Process), process: v.optional(Process), activities: v.optional(v.array(Process, { max: 1000 })) }), (b) => {
    const all_ = [b.category, b.processGroup, b.process, ...(b.activities ?? [])].filter((p): p is ProcessIn => p !== undefined);
    transaction(() => all_.forEach(put));
    return json({ imported: all_.length }, 201);
  }));
  router.post("/processes", withBody(Process, (p) => {
    put(p);
    return json(view(get(p.pcf_id) as Row), 201);
  }));
  const Limit = q.int({ min: 1, max: 1000 });
  router.get("/processes", withQuery({ category: v.optional(q.string({ max: 64 })), level: v.optional(q.int({ min: 1, max: 10 })), limit: v.withDefault(Limit, 100) }, ({ category, level, limit }) => {
    const where = [category !== undefined ? "category = ?" : null, level !== undefined ? "level = ?" : null].filter((w) => w !== null);
    const params = [...(category !== undefined ? [category] : []), ...(level !== undefined ? [level] : [])];
    return json(all<Row>(sql, `SELECT * FROM apqc_processes ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY pcf_id LIMIT ?`, ...params, limit).map(view));
  }));
  router.get("/processes/search", withQuery({ q: q.string({ min: 1 }), limit: v.withDefault(Limit, 20) }, (query) => {
    const words = query.q.replace(/[\\%_]/g, (c) => `\\${c}`);
    return json(all<Row>(sql, "SELECT * FROM apqc_processes WHERE name LIKE '%' || ? || '%' ESCAPE '\\' ORDER BY level, pcf_id LIMIT ?", words, query.limit).map(view));
  }));
  router.get("/processes/count-by-category", () => json(all(sql, "SELECT category AS category_id, COUNT(*) AS count FROM apqc_processes GROUP BY category ORDER BY CAST(category AS REAL)")));
  router.get("/processes/count-by-level", () => json(all(sql, "SELECT level, COUNT(*) AS count FROM apqc_processes GROUP BY level ORDER BY level")));
  router.get("/processes/export", withQuery({ category: Pcf.pcf }, ({ category }) => json(under(categoryOf(category), 8).map(view))));
  // Every imported process as one nested tree (at most MAX_ROWS).
  router.get("/processes/hierarchy-view", () => {
    const rows = all<Row>(sql, "SELECT * FROM apqc_processes ORDER BY level, pcf_id LIMIT ?", MAX_ROWS);
    type Node = ReturnType<typeof view> & { children: Node[] };
    const nodes = new Map<string, Node>(rows.map((r) => [r.pcf_id, { ...view(r), children: [] }]));
    const roots: Node[] = [];
    for (const n of nodes.values()) (n.parent_id && nodes.get(n.parent_id) ? (nodes.get(n.parent_id) as Node).children : roots).push(n);
    return json({ processes: rows.length, roots });
  });
  router.post("/processes/subtree", withBody(v.object({ root_id: v.string({ pattern: PCF, expected: "a PCF id" }), max_depth: v.optional(v.number({ integer: true, min: 0, max: 8 })) }), ({ root_id, max_depth }) => {
    const rows = under(root_id, max_depth ?? 8);
    return json({ root_id, max_depth: max_depth ?? 8, count: rows.length, processes: rows.map(view) });
  }));
  // From one process up to their lowest common ancestor and down to the other.
  router.post("/processes/path", withBody(v.object({ from_id: v.string({ pattern: PCF, expected: "a PCF id" }), to_id: v.string({ pattern: PCF, expected: "a PCF id" }) }), ({ from_id, to_id }) => {
    const up = [from_id, ...ancestorsOf(from_id)];
    const down = [to_id, ...ancestorsOf(to_id)];
    const common = up.find((p) => down.includes(p)) ?? null;
    if (common === null) return json({ from_id, to_id, connected: false, common_ancestor: null, path: [], hops: null });
    const path = [...up.slice(0, up.indexOf(common) + 1), ...down.slice(0, down.indexOf(common)).reverse()];
    return json({ from_id, to_id, connected: true, common_ancestor: common, hops: path.length - 1, path: path.map(named) });
  }));
  router.post("/processes/common-ancestor", withBody(v.object({ node_a: v.string({ pattern: PCF, expected: "a PCF id" }), node_b: v.string({ pattern: PCF, expected: "a PCF id" }) }), ({ node_a, node_b }) => {
    const b = new Set([node_b, ...ancestorsOf(node_b)]);
    const common = [node_a, ...ancestorsOf(node_a)].find((p) => b.has(p)) ?? null;
    return json({ node_a, node_b, common_ancestor: common === null ? null : named(common) });
  }));
  router.get("/processes/pcf/:pcf/ancestors", withInput({ params: Pcf }, ({ params: { pcf } }) => json(ancestorsOf(pcf).map(named))));
  router.get("/processes/pcf/:pcf/siblings", withInput({ params: Pcf }, ({ params: { pcf } }) => {
    const parent = parentOf(pcf);
    const rows = parent === null ? all<Row>(sql, "SELECT * FROM apqc_processes WHERE level = 1 AND pcf_id != ? ORDER BY pcf_id LIMIT ?", pcf, MAX_ROWS) : all<Row>(sql, "SELECT * FROM apqc_processes WHERE parent = ? AND pcf_id != ? ORDER BY pcf_id LIMIT ?", parent, pcf, MAX_ROWS);
    return json(rows.map(view));
  }));
  router.get("/processes/pcf/:pcf", withInput({ params: Pcf }, ({ params: { pcf } }) => {
    const r = get(pcf);
    return r ? json(view(r)) : fail(404, `no process ${pcf}`);
  }));
  router.get("/processes/:pcf/children", withInput({ params: Pcf }, ({ params: { pcf } }) => json(all<Row>(sql, "SELECT * FROM apqc_processes WHERE parent = ? ORDER BY pcf_id LIMIT ?", pcf, MAX_ROWS).map(view))));
  router.get("/processes/:pcf/count", withInput({ params: Pcf }, ({ params: { pcf } }) => json({ pcf_id: pcf, descendants: Math.max(0, under(pcf, 8).filter((r) => r.pcf_id !== pcf).length) })));
  router.get("/processes/:pcf/depth-stats", withInput({ params: Pcf }, ({ params: { pcf } }) => {
    const byLevel: Record<number, number> = {};
    for (const r of under(pcf, 8)) if (r.pcf_id !== pcf) byLevel[r.level] = (byLevel[r.level] ?? 0) + 1;
    const levels = Object.keys(byLevel).map(Number);
    return json({ pcf_id: pcf, byLevel, maxDepth: levels.length ? Math.max(...levels) - levelOf(pcf) : 0 });
  }));
}

export const processes: Feature = {
  name: "processes",
  serves: ["apqc"],
  schema: { migrations: [migrateProcesses] },
  routes: processRoutes,
};

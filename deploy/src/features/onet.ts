import type { RouterType } from "itty-router";
import { q, s as v, withBody, withQuery, type Infer } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, json } from "../http";
import { terms } from "../search-text";
import { all, first, param } from "../sql";

// O*NET's tools, technologies, tasks and skills (contract §10), on onet. and its members
// (onet-tools., onet-tasks.), beside datasets.ts's occupations, tasks and tools tables. A tool or
// technology may serve several occupations; a tool's commodity is a UNSPSC code, read down its
// hierarchy (segment, family, class) from the code itself and named from the commodities table where
// it is loaded. Skills are O*NET's 35 (the Content Model's 2.A and 2.B elements): rated per
// occupation when ratings are loaded (`POST /skills/batch`, O*NET's Skills file: occupation, skill,
// importance 1-5, level 0-7), and otherwise inferred from task texts by the stems in SKILLS, which
// the answers say (`source: "inferred"`).

/** O*NET's skills, each with the word stems that point at it in a task's text. */
export const SKILLS: Record<string, { category: string; stems: string[] }> = {
  "Reading Comprehension": { category: "basic", stems: ["read", "review", "interpret"] },
  "Active Listening": { category: "basic", stems: ["listen", "interview", "consult"] },
  Writing: { category: "basic", stems: ["writ", "document", "draft", "report"] },
  Speaking: { category: "basic", stems: ["present", "speak", "brief", "explain"] },
  Mathematics: { category: "basic", stems: ["calculat", "comput", "measur", "estimat"] },
  Science: { category: "basic", stems: ["research", "experiment", "scientific", "laborator"] },
  "Critical Thinking": { category: "basic", stems: ["analy", "evaluat", "assess"] },
  "Active Learning": { category: "basic", stems: ["learn", "study"] },
  "Learning Strategies": { category: "basic", stems: ["curricul", "lesson"] },
  Monitoring: { category: "basic", stems: ["monitor", "track", "observ"] },
  "Social Perceptiveness": { category: "social", stems: ["counsel", "empath", "patient"] },
  Coordination: { category: "social", stems: ["coordinat", "schedul", "organiz"] },
  Persuasion: { category: "social", stems: ["persuad", "sell", "promot", "market"] },
  Negotiation: { category: "social", stems: ["negotiat", "contract", "mediat"] },
  Instructing: { category: "social", stems: ["teach", "train", "instruct", "coach"] },
  "Service Orientation": { category: "social", stems: ["customer", "client", "assist", "serv"] },
  "Complex Problem Solving": { category: "problem solving", stems: ["solv", "resolv", "problem"] },
  "Operations Analysis": { category: "technical", stems: ["requirement", "specif"] },
  "Technology Design": { category: "technical", stems: ["design", "develop", "prototyp"] },
  "Equipment Selection": { category: "technical", stems: ["select", "procur", "purchas"] },
  Installation: { category: "technical", stems: ["install", "assembl", "mount"] },
  Programming: { category: "technical", stems: ["program", "cod", "software", "script"] },
  "Operations Monitoring": { category: "technical", stems: ["gauge", "dial", "inspect"] },
  "Operation and Control": { category: "technical", stems: ["operat", "control", "driv"] },
  "Equipment Maintenance": { category: "technical", stems: ["maint", "clean", "lubricat"] },
  Troubleshooting: { category: "technical", stems: ["troubleshoot", "diagnos", "debug"] },
  Repairing: { category: "technical", stems: ["repair", "fix", "replac"] },
  "Quality Control Analysis": { category: "technical", stems: ["qualit", "test", "verif"] },
  "Judgment and Decision Making": { category: "systems", stems: ["decid", "decision", "approv", "determin"] },
  "Systems Analysis": { category: "systems", stems: ["system"] },
  "Systems Evaluation": { category: "systems", stems: ["performance", "metric", "audit"] },
  "Time Management": { category: "resource management", stems: ["deadline", "prioritiz", "timel"] },
  "Management of Financial Resources": { category: "resource management", stems: ["budget", "financ", "cost", "expens"] },
  "Management of Material Resources": { category: "resource management", stems: ["inventor", "suppl", "equipment", "material"] },
  "Management of Personnel Resources": { category: "resource management", stems: ["supervis", "staff", "hire", "personnel", "manag"] },
};

/** The skills a task's text points at, by their stems. */
export function inferSkills(text: string): string[] {
  const words = terms(text);
  return Object.entries(SKILLS).filter(([, s]) => s.stems.some((stem) => words.some((w) => w.startsWith(stem)))).map(([name]) => name);
}

function migrateOnet(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS onet_tool_occupations (tool TEXT NOT NULL, occupation TEXT NOT NULL, PRIMARY KEY (tool, occupation)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS onet_tool_occupations_o ON onet_tool_occupations (occupation)");
  sql.exec("CREATE TABLE IF NOT EXISTS onet_tool_extra (tool TEXT PRIMARY KEY, hot INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS onet_technologies (id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT, hot INTEGER NOT NULL, examples TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS onet_technology_occupations (tech TEXT NOT NULL, occupation TEXT NOT NULL, PRIMARY KEY (tech, occupation)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS onet_technology_occupations_o ON onet_technology_occupations (occupation)");
  sql.exec("CREATE TABLE IF NOT EXISTS onet_task_extra (task TEXT PRIMARY KEY, relevance REAL, frequency INTEGER)");
  sql.exec("CREATE TABLE IF NOT EXISTS onet_skills (occupation TEXT NOT NULL, skill TEXT NOT NULL, importance REAL, level REAL, PRIMARY KEY (occupation, skill)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS onet_skills_s ON onet_skills (skill, importance)");
}

const Code = v.string({ pattern: /^\d{2}-\d{4}\.\d{2}$/, expected: "an O*NET-SOC code like 15-1252.00" });
const Id = v.string({ pattern: /^[\w.:-]{1,128}$/, expected: "an id (letters, digits, _ . : -)" });
/** `?limit=`: 1 to 1,000. */
const Limited = { limit: v.optional(q.int({ min: 1, max: 1_000 })) };
/** `?q=`: the words to find (the first 8 are used). */
const Words = { ...Limited, q: q.string({ min: 1, max: 500 }) };
const MajorGroup = { majorGroup: q.string({ pattern: /^\d{2}$/, expected: "the two digits an O*NET-SOC code starts with" }) };
const Skill = v.string({ pattern: /^[\w ,'-]{1,80}$/, expected: "a skill name" });

/** A UNSPSC code's hierarchy, read from its digits: segment (2), family (4), class (6), commodity (8). */
export const hierarchyOf = (code: string) => ({ segment: code.slice(0, 2), family: code.slice(0, 4), class: code.slice(0, 6), commodity: code });

function onetRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  const title = (code: string) => first<{ title: string }>(sql, "SELECT title FROM commodities WHERE code = ?", code)?.title ?? null;
  const withTitles = (code: string) => Object.fromEntries(Object.entries(hierarchyOf(code)).map(([k, c]) => [k, { code: c, title: title(c) }]));

  // ---- tools and technologies ----
  const ToolBody = v.object({ id: Id, name: v.string({ min: 1, pattern: /^.{1,300}$/s }), occupation_codes: v.array(Code, { min: 1, max: 100 }), category: v.optional(v.string()), hot_technology: v.optional(v.boolean()), commodity_code: v.optional(v.string({ pattern: /^\d{8}$/, expected: "an 8-digit UNSPSC code" })) });
  const putTool = (t: Infer<typeof ToolBody>): void => {
    sql.exec("INSERT OR REPLACE INTO tools (id, occupation, tool, category, unspsc) VALUES (?, ?, ?, ?, ?)", t.id, t.occupation_codes[0] as string, t.name, t.category ?? null, t.commodity_code ?? null);
    sql.exec("DELETE FROM onet_tool_occupations WHERE tool = ?", t.id);
    for (const o of t.occupation_codes) sql.exec("INSERT OR IGNORE INTO onet_tool_occupations (tool, occupation) VALUES (?, ?)", t.id, o);
    sql.exec("INSERT OR REPLACE INTO onet_tool_extra (tool, hot) VALUES (?, ?)", t.id, t.hot_technology ? 1 : 0);
  };
  router.post("/tools", withBody(ToolBody, (t) => {
    transaction(() => putTool(t));
    return json({ id: t.id, occupations: t.occupation_codes.length }, 201);
  }));
  router.post("/tools/batch", withBody(v.object({ tools: v.array(ToolBody, { min: 1, max: 5_000 }) }), ({ tools }) => {
    transaction(() => tools.forEach(putTool));
    return json({ imported: tools.length }, 201);
  }));
  const occupationsOfTool = (id: string) => {
    const linked = all<{ occupation: string }>(sql, "SELECT occupation FROM onet_tool_occupations WHERE tool = ? ORDER BY occupation", id).map((r) => r.occupation);
    const own = first<{ occupation: string }>(sql, "SELECT occupation FROM tools WHERE id = ?", id)?.occupation;
    return [...new Set([...linked, ...(own ? [own] : [])])].sort();
  };
  router.get("/tools/count-by-category", () => json({ categories: all<{ category: string | null; n: number }>(sql, "SELECT category, COUNT(*) AS n FROM tools GROUP BY category ORDER BY n DESC, category").map((r) => ({ category: r.category, count: r.n })) }));
  router.get("/tools/:id", (request) => {
    const id = param(request, "id");
    const t = first<{ id: string; tool: string; category: string | null; unspsc: string | null }>(sql, "SELECT id, tool, category, unspsc FROM tools WHERE id = ?", id);
    return t ? json({ ...t, occupations: occupationsOfTool(id), hot: (first<{ hot: number }>(sql, "SELECT hot FROM onet_tool_extra WHERE tool = ?", id)?.hot ?? 0) === 1 }) : fail(404, `no tool ${id.slice(0, 100)}`);
  });
  router.get("/tools/:id/occupations", (request) => {
    const id = param(request, "id");
    if (!first(sql, "SELECT 1 AS x FROM tools WHERE id = ?", id)) return fail(404, `no tool ${id.slice(0, 100)}`);
    const codes = occupationsOfTool(id);
    return json({ tool: id, occupations: codes.map((c) => ({ code: c, title: first<{ title: string }>(sql, "SELECT title FROM occupations WHERE code = ?", c)?.title ?? null })) });
  });
  router.get("/tools/:id/unspsc", (request) => {
    const id = param(request, "id");
    const t = first<{ unspsc: string | null }>(sql, "SELECT unspsc FROM tools WHERE id = ?", id);
    if (!t) return fail(404, `no tool ${id.slice(0, 100)}`);
    return t.unspsc ? json({ tool: id, unspsc: t.unspsc, hierarchy: withTitles(t.unspsc) }) : fail(404, `tool ${id.slice(0, 100)} has no UNSPSC code`);
  });
  router.get("/unspsc/:code", (request) => {
    const code = param(request, "code");
    if (!/^\d{2,8}$/.test(code)) return fail(400, `GET /unspsc/:code: ${code.slice(0, 20)} is not a UNSPSC code (2-8 digits)`);
    const tools = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM tools WHERE unspsc LIKE ?", `${code}%`)?.n ?? 0;
    return json({ code, title: title(code), hierarchy: withTitles(code.padEnd(8, "0").slice(0, Math.max(code.length, 2))), tools });
  });
  router.post("/tools/with-hierarchy", withBody(v.object({ unspscPrefix: v.string({ pattern: /^\d{1,8}$/, expected: "1-8 digits" }), includeHierarchy: v.optional(v.boolean()), limit: v.optional(v.number({ integer: true, min: 1, max: 1_000 })) }), ({ unspscPrefix, includeHierarchy, limit }) => {
    const rows = all<{ id: string; tool: string; unspsc: string }>(sql, "SELECT id, tool, unspsc FROM tools WHERE unspsc >= ? AND unspsc < ? ORDER BY unspsc, id LIMIT ?", unspscPrefix, `${unspscPrefix}\uffff`, limit ?? 20);
    return json({ unspscPrefix, count: rows.length, tools: rows.map((r) => ({ ...r, ...(includeHierarchy === false ? {} : { hierarchy: withTitles(r.unspsc) }) })) });
  }));
  const toolsOf = (occupation: string) => all<{ id: string; unspsc: string | null }>(sql, "SELECT DISTINCT t.id, t.unspsc FROM tools t LEFT JOIN onet_tool_occupations l ON l.tool = t.id WHERE t.occupation = ? OR l.occupation = ?", occupation, occupation);
  const jaccard = (a: string[], b: string[]) => {
    const sa = new Set(a);
    const union = new Set([...a, ...b]).size;
    return union ? b.filter((x) => sa.has(x)).length / union : 0;
  };
  router.post("/tools/similarity", withBody(v.object({ occupation_a: Code, occupation_b: Code }), ({ occupation_a, occupation_b }) => {
    const [a, b] = [toolsOf(occupation_a), toolsOf(occupation_b)];
    const cls = (ts: typeof a) => [...new Set(ts.map((t) => t.unspsc?.slice(0, 6)).filter((x): x is string => !!x))];
    return json({ occupation_a, occupation_b, tools: { a: a.length, b: b.length, jaccard: jaccard(a.map((t) => t.id), b.map((t) => t.id)) }, unspscClasses: { jaccard: jaccard(cls(a), cls(b)) } });
  }));
  router.get("/occupations", withQuery({ ...Limited, usesUnspsc: v.optional(q.string({ pattern: /^\d{1,8}$/, expected: "1-8 digits of a UNSPSC code" })) }, ({ usesUnspsc: prefix, limit }) => {
    const rows = prefix === undefined
      ? all(sql, "SELECT code, title, major_group FROM occupations ORDER BY code LIMIT ?", limit ?? 100)
      : all(sql, `SELECT o.code, o.title, COUNT(*) AS tools FROM tools t JOIN occupations o ON o.code = t.occupation WHERE t.unspsc >= ? AND t.unspsc < ? GROUP BY o.code ORDER BY tools DESC, o.code LIMIT ?`, prefix, `${prefix}\uffff`, limit ?? 20);
    return json({ count: rows.length, occupations: rows });
  }));
  const TechBody = v.object({ id: Id, name: v.string({ min: 1, pattern: /^.{1,300}$/s }), occupation_codes: v.array(Code, { min: 1, max: 100 }), category: v.optional(v.string()), hot_technology: v.optional(v.boolean()), example_products: v.optional(v.array(v.string(), { max: 50 })) });
  router.post("/technologies", withBody(TechBody, (t) => {
    transaction(() => {
      sql.exec("INSERT OR REPLACE INTO onet_technologies (id, name, category, hot, examples) VALUES (?, ?, ?, ?, ?)", t.id, t.name, t.category ?? null, t.hot_technology ? 1 : 0, JSON.stringify(t.example_products ?? []));
      sql.exec("DELETE FROM onet_technology_occupations WHERE tech = ?", t.id);
      for (const o of t.occupation_codes) sql.exec("INSERT OR IGNORE INTO onet_technology_occupations (tech, occupation) VALUES (?, ?)", t.id, o);
    });
    return json({ id: t.id, occupations: t.occupation_codes.length }, 201);
  }));
  router.get("/technologies", withQuery({ ...Limited, occupation: v.optional(Code), hotOnly: v.optional(q.bool()) }, ({ occupation, hotOnly, limit }) => {
    const hot = hotOnly === true;
    const rows = all<{ id: string; name: string; category: string | null; hot: number; examples: string }>(sql, `SELECT DISTINCT t.id, t.name, t.category, t.hot, t.examples FROM onet_technologies t
      ${occupation ? "JOIN onet_technology_occupations o ON o.tech = t.id AND o.occupation = ?" : ""} ${hot ? "WHERE t.hot = 1" : ""} ORDER BY t.id LIMIT ?`, ...(occupation ? [occupation] : []), limit ?? 100);
    return json({ count: rows.length, technologies: rows.map((r) => ({ id: r.id, name: r.name, category: r.category, hot: r.hot === 1, examples: JSON.parse(r.examples) as string[] })) });
  }));
  router.get("/equipment/search", withQuery(Words, (query) => {
    const words = terms(query.q).slice(0, 8);
    if (!words.length) return fail(400, "GET /equipment/search: q= names what to find");
    const rows = all(sql, `SELECT id, tool, category, unspsc, occupation FROM tools WHERE ${words.map(() => "tool LIKE ?").join(" AND ")} ORDER BY id LIMIT ?`, ...words.map((w) => `%${w}%`), query.limit ?? 20);
    return json({ q: words.join(" "), count: rows.length, tools: rows });
  }));
  router.get("/equipment/export", withQuery(MajorGroup, ({ majorGroup: g }) => {
    const rows = all(sql, "SELECT id, occupation, tool, category, unspsc FROM tools WHERE occupation >= ? AND occupation < ? ORDER BY occupation, id LIMIT 10000", `${g}-`, `${g}.`);
    return json({ majorGroup: g, count: rows.length, tools: rows });
  }));

  // ---- tasks and skills ----
  const TaskBody = v.object({ id: Id, occupation_code: Code, description: v.string({ min: 1, pattern: /^.{1,2000}$/s }), importance: v.optional(v.number({ min: 0, max: 5 })), relevance: v.optional(v.number({ min: 0, max: 100 })), frequency: v.optional(v.number({ integer: true, min: 1, max: 7 })), type: v.optional(v.string()) });
  const putTask = (t: Infer<typeof TaskBody>): void => {
    sql.exec("INSERT OR REPLACE INTO tasks (id, occupation, task, type, importance) VALUES (?, ?, ?, ?, ?)", t.id, t.occupation_code, t.description, t.type ?? "Core", t.importance ?? null);
    sql.exec("INSERT OR REPLACE INTO onet_task_extra (task, relevance, frequency) VALUES (?, ?, ?)", t.id, t.relevance ?? null, t.frequency ?? null);
  };
  router.post("/tasks", withBody(TaskBody, (t) => {
    transaction(() => putTask(t));
    return json({ id: t.id }, 201);
  }));
  router.post("/tasks/batch", withBody(v.object({ tasks: v.array(TaskBody, { min: 1, max: 5_000 }) }), ({ tasks }) => {
    transaction(() => tasks.forEach(putTask));
    return json({ imported: tasks.length }, 201);
  }));
  router.get("/tasks/count-by-occupation", () => json({ occupations: all<{ occupation: string; n: number }>(sql, "SELECT occupation, COUNT(*) AS n FROM tasks GROUP BY occupation ORDER BY n DESC, occupation LIMIT 1000").map((r) => ({ occupation: r.occupation, count: r.n })) }));
  router.get("/tasks/search", withQuery(Words, (query) => {
    const words = terms(query.q).slice(0, 8);
    if (!words.length) return fail(400, "GET /tasks/search: q= names what to find");
    const rows = all(sql, `SELECT id, occupation, task, type, importance FROM tasks WHERE ${words.map(() => "task LIKE ?").join(" AND ")} ORDER BY importance DESC, id LIMIT ?`, ...words.map((w) => `%${w}%`), query.limit ?? 20);
    return json({ q: words.join(" "), count: rows.length, tasks: rows });
  }));
  router.get("/tasks/export", withQuery(MajorGroup, ({ majorGroup: g }) => {
    const rows = all(sql, "SELECT id, occupation, task, type, importance FROM tasks WHERE occupation >= ? AND occupation < ? ORDER BY occupation, id LIMIT 10000", `${g}-`, `${g}.`);
    return json({ majorGroup: g, count: rows.length, tasks: rows });
  }));
  router.get("/tasks/:id", (request) => {
    const id = param(request, "id");
    const t = first(sql, "SELECT t.id, t.occupation, t.task, t.type, t.importance, e.relevance, e.frequency FROM tasks t LEFT JOIN onet_task_extra e ON e.task = t.id WHERE t.id = ?", id);
    return t ? json(t) : fail(404, `no task ${id.slice(0, 100)}`);
  });
  router.get("/tasks/:id/skills", (request) => {
    const id = param(request, "id");
    const t = first<{ task: string; occupation: string }>(sql, "SELECT task, occupation FROM tasks WHERE id = ?", id);
    if (!t) return fail(404, `no task ${id.slice(0, 100)}`);
    return json({ task: id, source: "inferred", skills: inferSkills(t.task).map((s) => ({ skill: s, category: SKILLS[s]?.category })) });
  });
  /** An occupation's skills: O*NET's ratings where loaded, else inferred from its tasks (level: the share of its tasks pointing at the skill). */
  const skillsOf = (occupation: string): { source: string; skills: Array<{ skill: string; category?: string; importance: number | null; level: number | null }> } => {
    const rated = all<{ skill: string; importance: number | null; level: number | null }>(sql, "SELECT skill, importance, level FROM onet_skills WHERE occupation = ? ORDER BY importance DESC, skill", occupation);
    if (rated.length) return { source: "rated", skills: rated.map((r) => ({ ...r, category: SKILLS[r.skill]?.category })) };
    const tasks = all<{ task: string }>(sql, "SELECT task FROM tasks WHERE occupation = ?", occupation);
    const counts = new Map<string, number>();
    for (const t of tasks) for (const s of inferSkills(t.task)) counts.set(s, (counts.get(s) ?? 0) + 1);
    return { source: "inferred", skills: [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([skill, n]) => ({ skill, category: SKILLS[skill]?.category, importance: null, level: tasks.length ? n / tasks.length : null })) };
  };
  router.post("/tasks/extract-skills", withBody(v.object({ occupation_code: Code, include_levels: v.optional(v.boolean()) }), ({ occupation_code, include_levels }) => {
    const s = skillsOf(occupation_code);
    return json({ occupation: occupation_code, source: s.source, skills: include_levels === false ? s.skills.map((x) => ({ skill: x.skill, category: x.category })) : s.skills });
  }));
  router.post("/tasks/skill-overlap", withBody(v.object({ occupation_a: Code, occupation_b: Code }), ({ occupation_a, occupation_b }) => {
    const [a, b] = [skillsOf(occupation_a), skillsOf(occupation_b)];
    const [sa, sb] = [a.skills.map((s) => s.skill), b.skills.map((s) => s.skill)];
    return json({ occupation_a, occupation_b, sources: [a.source, b.source], shared: sa.filter((s) => sb.includes(s)).sort(), jaccard: jaccard(sa, sb) });
  }));
  router.get("/occupations/rank-by-skill", withQuery({ ...Limited, skill: q.string({ max: 80 }) }, ({ skill, limit }) => {
    const name = Object.keys(SKILLS).find((s) => s.toLowerCase() === skill.toLowerCase() || s.toLowerCase().startsWith(skill.toLowerCase()));
    if (!skill || !name) return fail(400, `GET /occupations/rank-by-skill: skill= names one of O*NET's skills (${Object.keys(SKILLS).slice(0, 5).join(", ")}, …)`);
    const rated = all<{ occupation: string; importance: number }>(sql, "SELECT occupation, importance FROM onet_skills WHERE skill = ? ORDER BY importance DESC, occupation LIMIT ?", name, limit ?? 20);
    if (rated.length) return json({ skill: name, source: "rated", occupations: rated });
    // Inferred: occupations by how many of their tasks point at the skill (at most 20,000 tasks read).
    const counts = new Map<string, number>();
    for (const t of sql.exec<{ occupation: string; task: string }>("SELECT occupation, task FROM tasks LIMIT 20000")) if (inferSkills(t.task).includes(name)) counts.set(t.occupation, (counts.get(t.occupation) ?? 0) + 1);
    return json({ skill: name, source: "inferred", occupations: [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit ?? 20).map(([occupation, tasks]) => ({ occupation, tasks })) });
  }));
  router.post("/skills/batch", withBody(v.object({ rows: v.array(v.object({ occupation: Code, skill: Skill, importance: v.optional(v.number({ min: 1, max: 5 })), level: v.optional(v.number({ min: 0, max: 7 })) }), { min: 1, max: 10_000 }) }), ({ rows }) => {
    const unknown = rows.find((r) => !SKILLS[r.skill]);
    if (unknown) return fail(400, `POST /skills/batch: ${unknown.skill} is not one of O*NET's skills`);
    transaction(() => rows.forEach((r) => sql.exec("INSERT OR REPLACE INTO onet_skills (occupation, skill, importance, level) VALUES (?, ?, ?, ?)", r.occupation, r.skill, r.importance ?? null, r.level ?? null)));
    return json({ imported: rows.length }, 201);
  }));
}

export const onet: Feature = {
  name: "onet",
  serves: ["onet"],
  uses: ["datasets"],
  schema: { migrations: [migrateOnet] },
  routes: onetRoutes,
};

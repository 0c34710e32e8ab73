import type { RouterType } from "itty-router";
import { distance } from "fastest-levenshtein";
import type { Feature, FeatureContext } from "../feature";
import { limitQuery, q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, param, type Row } from "../sql";

// Job titles (job-titles.): the titles people write, each mapped to an O*NET occupation. A title is
// normalised (lower case, punctuation gone, `Sr.` → senior, `Mgr` → manager) and split into its
// seniority (`senior`, `lead`, …) and its base (`software engineer`), so `Sr. Software Engineer` maps
// like `senior software engineer`, fuzzy matching compares bases by edit distance (fastest-levenshtein,
// the library the harness already uses), and career paths move along seniority within a base.

const MAX_TITLES = 1_000; // per request
const SCAN = 20_000; // titles one fuzzy or dedup question reads at most
const SENIORITY = ["intern", "trainee", "junior", "associate", "mid", "senior", "lead", "staff", "principal", "head", "director", "vp", "chief"];
const ABBREVIATIONS: Record<string, string> = { sr: "senior", jr: "junior", mgr: "manager", eng: "engineer", engr: "engineer", rep: "representative", dev: "developer", asst: "assistant", assoc: "associate", dir: "director", admin: "administrator", exec: "executive", coord: "coordinator", spec: "specialist", tech: "technician" };

export function normaliseTitle(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim().split(" ").filter(Boolean).map((w) => ABBREVIATIONS[w] ?? w).join(" ");
}
/** `senior software engineer` → {seniority: "senior", base: "software engineer"}. */
export function splitTitle(normalised: string): { seniority: string; base: string } {
  const words = normalised.split(" ");
  const lead = words.findIndex((w) => !SENIORITY.includes(w));
  const seniority = lead < 0 ? normalised : words.slice(0, lead).join(" ");
  return { seniority, base: (lead < 0 ? [] : words.slice(Math.max(lead, 0))).join(" ") };
}

function migrateTitles(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS jt_titles (id TEXT PRIMARY KEY, title TEXT NOT NULL, normalised TEXT NOT NULL, base TEXT NOT NULL, seniority TEXT NOT NULL, occupation TEXT NOT NULL, confidence REAL NOT NULL, source TEXT)");
  sql.exec("CREATE INDEX IF NOT EXISTS jt_normalised ON jt_titles (normalised)");
  sql.exec("CREATE INDEX IF NOT EXISTS jt_base ON jt_titles (base, seniority)");
  sql.exec("CREATE INDEX IF NOT EXISTS jt_occupation ON jt_titles (occupation)");
}

// A title is at most 200 characters: edit distance costs the product of two lengths.
const Title = v.string({ pattern: /^[^\n]{1,200}$/, expected: "a title of 1–200 characters" });
const TitleIn = v.object({ id: v.optional(v.string()), title: Title, occupation_code: v.string({ min: 1 }), confidence: v.optional(v.number({ min: 0, max: 1 })), source: v.optional(v.string()) });
interface TitleRow extends Row { id: string; title: string; normalised: string; base: string; seniority: string; occupation: string; confidence: number }

function titleRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  const put = (t: { id?: string; title: string; occupation_code: string; confidence?: number; source?: string }): string => {
    const n = normaliseTitle(t.title);
    const { seniority, base } = splitTitle(n);
    const id = t.id ?? `${t.occupation_code}:${n}`;
    sql.exec("INSERT OR REPLACE INTO jt_titles (id, title, normalised, base, seniority, occupation, confidence, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, t.title, n, base, seniority, t.occupation_code, t.confidence ?? 1, t.source ?? null);
    return id;
  };
  /** Occupations for a title: those of the same normalised title, else of the same base; best confidence first. */
  const map = (title: string, max = 1) => {
    const n = normaliseTitle(title);
    const { base } = splitTitle(n);
    const byTitle = all<{ occupation: string; confidence: number }>(sql, "SELECT occupation, MAX(confidence) AS confidence FROM jt_titles WHERE normalised = ? GROUP BY occupation ORDER BY confidence DESC LIMIT ?", n, max);
    const via = byTitle.length > 0 ? "title" : "base";
    const matches = byTitle.length > 0 ? byTitle : base ? all<{ occupation: string; confidence: number }>(sql, "SELECT occupation, MAX(confidence) * 0.9 AS confidence FROM jt_titles WHERE base = ? GROUP BY occupation ORDER BY confidence DESC LIMIT ?", base, max) : [];
    return { title, normalised: n, matches: matches.map((m) => ({ occupation: m.occupation, confidence: m.confidence, via })) };
  };
  const near = (query: string, maxDistance: number, limit: number) => {
    const n = normaliseTitle(query);
    return all<TitleRow>(sql, "SELECT * FROM jt_titles WHERE length(normalised) BETWEEN ? AND ? LIMIT ?", n.length - maxDistance, n.length + maxDistance, SCAN)
      .map((r) => ({ r, d: distance(n, r.normalised) }))
      .filter((x) => x.d <= maxDistance)
      .sort((a, b) => a.d - b.d || b.r.confidence - a.r.confidence)
      .slice(0, limit)
      .map(({ r, d }) => ({ title: r.title, occupation: r.occupation, distance: d }));
  };

  router.post("/titles/batch", withBody(v.object({ titles: v.array(TitleIn, { min: 1, max: MAX_TITLES }) }), ({ titles }) => json({ imported: transaction(() => titles.map(put)).length }, 201)));
  router.post("/titles/map", withBody(v.object({ title: Title, returnAll: v.optional(v.boolean()), maxResults: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), (b) => json(map(b.title, b.returnAll ? (b.maxResults ?? 10) : 1))));
  router.post("/titles/bulk-map", withBody(v.object({ titles: v.array(Title, { max: MAX_TITLES }) }), ({ titles }) => json({ results: titles.map((t) => ({ title: t, occupation: map(t).matches[0]?.occupation ?? null })) })));
  router.post("/titles/bulk-validate", withBody(v.object({ pairs: v.array(v.object({ title: Title, claimed_occupation: v.string() }), { max: MAX_TITLES }) }), ({ pairs }) => {
    const results = pairs.map((p) => ({ title: p.title, claimed_occupation: p.claimed_occupation, valid: map(p.title, 100).matches.some((m) => m.occupation === p.claimed_occupation) }));
    return json({ valid: results.filter((r) => r.valid).length, invalid: results.filter((r) => !r.valid).length, results });
  }));
  router.post("/titles/fuzzy", withBody(v.object({ query: Title, maxDistance: v.optional(v.number({ integer: true, min: 0, max: 5 })), limit: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), (b) => json({ query: b.query, matches: near(b.query, b.maxDistance ?? 2, b.limit ?? 5) })));
  // Titles of the same occupation(s) as the term; with includeSimilar, also titles within edit distance 2.
  router.post("/titles/synonyms", withBody(v.object({ term: Title, includeSimilar: v.optional(v.boolean()) }), (b) => {
    const occupations = map(b.term, 5).matches.map((m) => m.occupation);
    const n = normaliseTitle(b.term);
    const same = occupations.length ? all<{ title: string }>(sql, `SELECT DISTINCT title FROM jt_titles WHERE occupation IN (${occupations.map(() => "?").join(",")}) AND normalised != ? LIMIT 100`, ...occupations, n).map((r) => r.title) : [];
    return json({ term: b.term, occupations, synonyms: same, similar: b.includeSimilar ? near(b.term, 2, 20).filter((m) => normaliseTitle(m.title) !== n) : undefined });
  }));
  // Titles that are the same after normalisation, or whose similarity (1 − distance / longer length) reaches the threshold.
  router.post("/titles/deduplicate", withBody(v.object({ titles: v.array(Title, { max: MAX_TITLES }), threshold: v.optional(v.number({ min: 0, max: 1 })) }), ({ titles, threshold = 0.8 }) => {
    const groups: Array<{ canonical: string; normalised: string; members: string[] }> = [];
    for (const t of titles) {
      const n = normaliseTitle(t);
      const g = groups.find((x) => 1 - distance(x.normalised, n) / Math.max(x.normalised.length, n.length, 1) >= threshold);
      if (g) g.members.push(t);
      else groups.push({ canonical: t, normalised: n, members: [t] });
    }
    return json({ titles: titles.length, unique: groups.length, groups });
  }));
  router.post("/titles/clusters", withBody(v.object({ occupation: v.string({ min: 1 }), maxClusters: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), (b) =>
    json({ occupation: b.occupation, clusters: all<{ base: string; titles: number }>(sql, "SELECT base, COUNT(*) AS titles FROM jt_titles WHERE occupation = ? GROUP BY base ORDER BY titles DESC, base LIMIT ?", b.occupation, b.maxClusters ?? 5) }),
  ));
  // advance: the same base one or more seniority steps up; lateral: other bases of the same occupation at the same seniority.
  router.post("/titles/career-paths", withBody(v.object({ currentTitle: Title, direction: v.optional(v.literal("advance", "lateral")) }), (b) => {
    const n = normaliseTitle(b.currentTitle);
    const { seniority, base } = splitTitle(n);
    const rank = (s: string) => (s === "" ? SENIORITY.indexOf("mid") : Math.max(...s.split(" ").map((w) => SENIORITY.indexOf(w))));
    if ((b.direction ?? "advance") === "advance") {
      const up = all<{ title: string; seniority: string }>(sql, "SELECT DISTINCT title, seniority FROM jt_titles WHERE base = ? LIMIT 500", base).filter((r) => rank(r.seniority) > rank(seniority)).sort((x, y) => rank(x.seniority) - rank(y.seniority));
      return json({ from: b.currentTitle, direction: "advance", paths: up.slice(0, 20).map((r) => r.title) });
    }
    const occupations = map(b.currentTitle, 5).matches.map((m) => m.occupation);
    const lateral = occupations.length ? all<{ title: string }>(sql, `SELECT DISTINCT title FROM jt_titles WHERE occupation IN (${occupations.map(() => "?").join(",")}) AND seniority = ? AND base != ? LIMIT 20`, ...occupations, seniority, base).map((r) => r.title) : [];
    return json({ from: b.currentTitle, direction: "lateral", paths: lateral });
  }));
  router.post("/titles", withBody(TitleIn, (t) => json({ id: put(t), normalised: normaliseTitle(t.title) }, 201)));
  router.get("/titles/count-by-occupation", () => json(all(sql, "SELECT occupation, COUNT(*) AS titles FROM jt_titles GROUP BY occupation ORDER BY titles DESC LIMIT 1000")));
  const Occupation = { occupation: q.string({ min: 1 }) };
  router.get("/titles/popular", withQuery({ ...Occupation, ...limitQuery(10) }, ({ occupation, limit }) =>
    json(all(sql, "SELECT normalised, MIN(title) AS title, COUNT(*) AS count, MAX(confidence) AS confidence FROM jt_titles WHERE occupation = ? GROUP BY normalised ORDER BY count DESC, confidence DESC LIMIT ?", occupation, limit))));
  router.get("/titles/search", withQuery({ prefix: q.string({ min: 1, max: 200 }), ...limitQuery(20) }, (query) => {
    const prefix = normaliseTitle(query.prefix).replace(/[\\%_]/g, (c) => `\\${c}`);
    if (!prefix) return fail(400, "GET /titles/search needs ?prefix=");
    return json(all(sql, "SELECT title, occupation, confidence FROM jt_titles WHERE normalised LIKE ? || '%' ESCAPE '\\' ORDER BY confidence DESC, title LIMIT ?", prefix, query.limit));
  }));
  router.get("/titles", withQuery({ ...Occupation, ...limitQuery() }, ({ occupation, limit }) =>
    json(all(sql, "SELECT id, title, occupation, confidence FROM jt_titles WHERE occupation = ? ORDER BY confidence DESC, title LIMIT ?", occupation, limit))));
  // Occupations that share a title base with this one's titles, by how many bases they share.
  router.get("/occupations/:code/related", withQuery(limitQuery(10), ({ limit }, request) =>
    json(all(sql, "SELECT o.occupation, COUNT(DISTINCT o.base) AS sharedTitles FROM jt_titles t JOIN jt_titles o ON o.base = t.base AND o.occupation != t.occupation WHERE t.occupation = ? GROUP BY o.occupation ORDER BY sharedTitles DESC, o.occupation LIMIT ?", param(request, "code"), limit))));
}

export const titles: Feature = {
  name: "titles",
  serves: ["job-titles"],
  schema: { migrations: [migrateTitles] },
  routes: titleRoutes,
};

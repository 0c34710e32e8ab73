// Wikipedia under load (wikipedia.): setup() loads ARTICLES generated articles into one object,
// `wikipedia-perf` (each in 2 of CATEGORIES categories, linking to the next 3 articles in a ring, its
// text 60 words from a small vocabulary), and a category hierarchy three levels deep; iterations read
// it as an encyclopedia reader does: an article with its categories and links, its inbound-link count,
// a BM25 search, a category's articles and ancestors, and every fifth iteration a shortest path along
// links. Each operation carries `datasetSize` (articles). The articles are generated (their shape is
// Wikipedia's; their words are not), so every answer is checked.

import { check } from "k6";
import exec from "k6/execution";
import { wikipediaApi, type Article } from "../../lib/k6/api/wikipedia.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 10, vus: 5 }, extra: { setupTimeout: "5m" } });

const ARTICLES = 2_000;
const CATEGORIES = 50;
const WORDS = ["system", "network", "history", "language", "science", "music", "river", "city", "energy", "theory", "market", "species"];
const wp = wikipediaApi(namespaceClient(target, "wikipedia-perf"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;
const title = (i: number): string => `Article ${i}`;
const article = (i: number): Article => ({
  title: title(i),
  text: Array.from({ length: 60 }, (_, w) => WORDS[(i * 7 + w * 3) % WORDS.length]).join(" ") + ` topic${i}`,
  categories: [`Topic ${i % CATEGORIES}`, `Topic ${(i + 17) % CATEGORIES}`],
  links: [1, 2, 3].map((d) => title((i + d) % ARTICLES)),
});

export function setup(): void {
  if (wp.exists(title(ARTICLES - 1))) return; // already loaded (a deployment, or a run before on this target)
  for (let start = 0; start < ARTICLES; start += 500) wp.ingest(Array.from({ length: 500 }, (_, k) => article(start + k)));
  // Topic n → Area n/10 → Field n/25 → Knowledge.
  wp.hierarchy([
    ...Array.from({ length: CATEGORIES }, (_, n) => ({ child: `Topic ${n}`, parents: [`Area ${Math.floor(n / 10)}`] })),
    ...Array.from({ length: 5 }, (_, a) => ({ child: `Area ${a}`, parents: [`Field ${Math.floor(a / 3)}`] })),
    { child: "Field 0", parents: ["Knowledge"] },
    { child: "Field 1", parents: ["Knowledge"] },
  ]);
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  const i = (n * 7_919) % ARTICLES;
  const meta = { datasetSize: ARTICLES };
  const a = body<{ categories: string[]; links: string[] }>(wp.article(title(i), meta));
  check(a, { "wikipedia: an article with its two categories and three links": (r) => (r.categories ?? []).length === 2 && (r.links ?? []).length === 3 });
  // Each article is linked from the three before it in the ring.
  check(body<{ count: number }>(wp.inboundCount(title(i), meta)), { "wikipedia: an article's inbound links counted": (r) => r.count === 3 });
  const hits = body<{ results: Array<{ title: string }> }>(wp.bm25(`topic${i}`, 5, meta));
  check(hits, { "wikipedia: BM25 finds the one article with a word of its own": (r) => r.results?.[0]?.title === title(i) });
  const c = i % CATEGORIES;
  check(body<{ count: number }>(wp.categoryArticles(`Topic ${c}`, 1_000, meta)), { "wikipedia: a category's articles (each category holds 80)": (r) => r.count === (2 * ARTICLES) / CATEGORIES });
  check(body<{ ancestors: Array<{ category: string }> }>(wp.ancestors(`Topic ${c}`, meta)), { "wikipedia: a category's ancestors reach the root": (r) => (r.ancestors ?? []).some((x) => x.category === "Knowledge") });
  if (n % 5 === 0) {
    // The ring's links step 1, 2 or 3 ahead: 9 articles ahead is 3 hops.
    const p = body<{ hops: number }>(wp.shortestPath(title(i), title((i + 9) % ARTICLES), 6, meta));
    check(p, { "wikipedia: the shortest path nine articles ahead takes three hops": (r) => r.hops === 3 });
  }
}

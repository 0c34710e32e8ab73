// Wiktionary under load (wiktionary.): setup() loads ENTRIES generated entries in Wiktextract's shape
// into one object, `wiktionary-perf`, and writes a few entries to each of the partitions b, c and d of
// its family; iterations read it as a dictionary reader does: a word's entries, completions of a
// prefix, a search of the glosses, and every tenth iteration a count summed over all 27 partitions.
// Each operation carries `datasetSize` (entries). The entries are generated (docs/scenarios.md), so
// every answer is checked.

import { check } from "k6";
import exec from "k6/execution";
import { wiktionaryApi } from "../../lib/k6/api/wiktionary.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 10, vus: 5 }, extra: { setupTimeout: "5m" } });

const ENTRIES = 5_000;
const POS = ["noun", "verb", "adjective", "adverb"];
const wk = wiktionaryApi(namespaceClient(target, "wiktionary-perf"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;
const word = (i: number): string => `lex${String(i).padStart(4, "0")}`;
const entry = (i: number) => ({
  word: word(i), pos: POS[i % 4], lang: "English",
  senses: [{ glosses: [`Generated sense ${i} of a ${POS[i % 4]}, marker${i}.`] }],
  etymology_text: `From Latin ${word(i)}us.`, sounds: [{ ipa: `/${word(i)}/` }], forms: [{ form: `${word(i)}s`, tags: ["plural"] }],
});

export function setup(): void {
  if (!wk.exists(word(ENTRIES - 1))) {
    for (let start = 0; start < ENTRIES; start += 2_500) wk.ingest(Array.from({ length: 2_500 }, (_, k) => entry(start + k)));
  }
  // Partitions b, c, d: 10 entries each, rewritten on every run (a write replaces an entry with its word and part of speech).
  for (const [p, letter] of ["b", "c", "d"].entries()) wk.partitionWrite(letter, Array.from({ length: 10 }, (_, k) => ({ ...entry(p * 10 + k), word: `${letter}${word(k)}` })));
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  const i = (n * 7_919) % ENTRIES;
  const meta = { datasetSize: ENTRIES };
  check(body<{ count: number }>(wk.word(word(i), meta)), { "wiktionary: a word's entry": (r) => r.count === 1 });
  // lex12 completes to lex1200 … lex1299: 100 words, the first 10 asked for.
  const prefix = word(i).slice(0, 5);
  check(body<{ suggestions: string[] }>(wk.autocomplete(prefix, 10, meta)), { "wiktionary: ten completions of a prefix, in order": (r) => (r.suggestions ?? []).length === 10 && r.suggestions[0] === `${prefix}00` });
  check(body<{ results: Array<{ word: string }> }>(wk.search(`marker${i}`, 5, meta)), { "wiktionary: a gloss's own word finds its entry": (r) => r.results?.[0]?.word === word(i) });
  if (n % 10 === 0) check(body<{ count: number }>(wk.scatterCount(meta)), { "wiktionary: a count summed over every partition (10 in each of b, c and d)": (r) => r.count === 30 });
}

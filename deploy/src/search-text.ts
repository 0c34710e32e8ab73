// Text scoring for the search store, free of Workers types so it is unit-testable in Node.

import { fnv1a } from "./shard-routing";

export const terms = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

export function termVector(text: string): Map<string, number> {
  const v = new Map<string, number>();
  for (const t of terms(text)) v.set(t, (v.get(t) ?? 0) + 1);
  return v;
}

export function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  for (const [t, n] of a) dot += n * (b.get(t) ?? 0);
  const norm = (v: Map<string, number>): number => Math.sqrt([...v.values()].reduce((s, n) => s + n * n, 0));
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : dot / d;
}

/** An FTS5 query matching any of the words, each quoted so user input cannot inject FTS syntax. */
export function ftsQuery(q: string): string | null {
  const words = terms(q);
  return words.length === 0 ? null : words.map((w) => `"${w}"`).join(" OR ");
}


export const EMBED_DIMS = 768;

/** A hashed bag of words (each term to one of EMBED_DIMS dimensions, signed, L2-normalised): not a language model. */
export function hashedEmbedding(text: string): number[] {
  const v = new Float64Array(EMBED_DIMS);
  for (const t of terms(text)) {
    const h = fnv1a(t);
    v[h % EMBED_DIMS] = (v[h % EMBED_DIMS] as number) + ((h >>> 16) & 1 ? 1 : -1);
  }
  const norm = Math.hypot(...v) || 1;
  return Array.from(v, (x) => x / norm);
}

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";

// No module under lib/ or deploy/src imports itself back through others: a cycle makes load order
// matter and tangles what should be layers (k6-output ↔ perfdo-output, things ↔ promote were two).
// Type-only imports do not count: they vanish at compile time.

const ROOT = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => normalize(join(dir, f)));
}

/** file → the files it imports at run time (relative imports that resolve to a .ts file). */
function importGraph(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps: string[] = [];
    for (const m of read(file).matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+["'](\.[^"']+)["']/gm)) {
      const base = normalize(join(dirname(file), m[1] as string));
      const hit = [`${base}.ts`, base.replace(/\.m?js$/, ".ts"), join(base, "index.ts")].find((c) => known.has(c));
      if (hit) deps.push(hit);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** Each cycle once, as the files on it (Tarjan's strongly connected components of more than one file). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
        onStack.delete(w);
        component.push(w);
      }
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("import cycles", () => {
  it("there are none under lib/ and deploy/src", () => {
    const files = [...sources("lib"), ...sources(join("deploy", "src"))];
    assert.ok(files.length > 100 && existsSync(join(ROOT, "lib", "node", "cli.ts")));
    const graph = importGraph(files, (f) => readFileSync(join(ROOT, f), "utf8"));
    assert.ok([...graph.values()].some((deps) => deps.length > 0), "imports were found");
    assert.deepEqual(cycles(graph).map((c) => c.map((f) => relative(".", f))), []);
  });

  it("finds a cycle when there is one (the check can fail), and ignores type-only imports", () => {
    const files = { "a.ts": 'import { b } from "./b";', "b.ts": 'import { c } from "./c";', "c.ts": 'import { a } from "./a";', "d.ts": 'import type { a } from "./a";\nimport { d } from "./e";', "e.ts": 'import type { d } from "./d";' };
    const graph = importGraph(Object.keys(files), (f) => files[f as keyof typeof files]);
    assert.deepEqual(cycles(graph), [["a.ts", "b.ts", "c.ts"]]);
  });
});

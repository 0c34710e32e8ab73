// npm run suite:requests -- <dotdo checkout>: reads perf.do's public benchmark suite (its
// tests/benchmarks folder) and writes every request it makes, as namespace, method and path, to
// fixtures/perf-do-suite-requests.json. test/unit/worker-suite-routes.test.ts then asks the
// reference Worker's router whether each one is served on its namespace. Only the request triples are
// kept (what perf.do serves), not the suite's code. Paths are read from the suite's syntax tree: a
// template's `${…}` becomes `:p`, a query string is dropped, a path built at run time is counted as
// dynamic and named in the output.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { namespaceFromHost } from "../deploy/src/namespace";

const root = process.argv[2];
if (!root) {
  console.error("suite:requests: give the path of a dot-do/dotdo checkout (its tests/benchmarks folder is read)");
  process.exit(2);
}
const dir = join(root, "tests", "benchmarks");
const files = (readdirSync(dir, { recursive: true }) as string[])
  .filter((f) => /\.(perf|e2e)\.test\.ts$/.test(f) || f === "network-baseline.test.ts")
  .sort();
if (files.length === 0) {
  console.error(`suite:requests: ${dir} holds no *.perf.test.ts or *.e2e.test.ts files`);
  process.exit(2);
}

interface Request { namespace: string; method: string; path: string }
const seen = new Map<string, Request & { uses: number; files: Set<string> }>();
const dynamic: string[] = [];

/**
 * The namespace a suite target names: `<ns>.perf.do` is `<ns>`; a dataset's own host names it without
 * its two-label suffix, a partition's label kept in front as the reference Worker's partitions are
 * named (`wikipedia.org.ai` → `wikipedia`, `a.wikipedia.org.ai` → `a.wikipedia`, as `com.web`).
 */
function namespaceOf(host: string): string {
  if (host.endsWith(".perf.do")) return namespaceFromHost(host, "perf.do") ?? host;
  const labels = host.split(".");
  return labels.length > 2 ? labels.slice(0, -2).join(".") : host;
}

const METHOD: Record<string, string | null> = { "ctx.do.request": null, "ctx.fetch": null, "ctx.do.get": "GET", "ctx.do.list": "GET", "ctx.do.create": "POST", "ctx.do.delete": "DELETE" };

/** A string or template, with every `${…}` as `:p`; null for anything computed. */
function literal(node: ts.Node | undefined, hole = ":p"): string | null {
  if (!node) return null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => hole + s.literal.text).join("");
  return null;
}

for (const file of files) {
  const text = readFileSync(join(dir, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const consts = new Map<string, string>();
  const visitConsts = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) {
      const value = literal(node.initializer, "x");
      if (value !== null) consts.set(node.name.text, value);
    }
    ts.forEachChild(node, visitConsts);
  };
  visitConsts(source);
  const resolve = (node: ts.Expression): string | null => (ts.isIdentifier(node) ? consts.get(node.text) ?? null : literal(node, "x"));

  /** The `target` of the nearest enclosing benchmark({ target, … }), or the argument of createContext(…). */
  function targetOf(node: ts.Node): string | null {
    for (let at: ts.Node | undefined = node; at; at = at.parent) {
      if (ts.isObjectLiteralExpression(at)) {
        const prop = at.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === "target");
        if (prop && ts.isPropertyAssignment(prop)) return resolve(prop.initializer);
        if (prop && ts.isShorthandPropertyAssignment(prop)) return consts.get("target") ?? null;
      }
      if (ts.isFunctionLike(at) || ts.isBlock(at)) {
        // const ctx = await createContext(target) in the same function
        let found: string | null = null;
        at.forEachChild(function look(n): void {
          if (found === null && ts.isCallExpression(n) && n.expression.getText(source).endsWith("createContext") && n.arguments[0]) found = resolve(n.arguments[0]);
          if (found === null) n.forEachChild(look);
        });
        if (found !== null) return found;
      }
    }
    return null;
  }

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(source);
      if (callee in METHOD) {
        const path = literal(node.arguments[0]);
        const target = targetOf(node);
        const where = `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        if (path === null || target === null) dynamic.push(`${where} ${path === null ? "path" : "target"} ${node.arguments[0]?.getText(source) ?? ""}`.slice(0, 160));
        else {
          let method = METHOD[callee] ?? "GET";
          const init = node.arguments[1];
          if (METHOD[callee] === null && init && ts.isObjectLiteralExpression(init)) {
            const m = init.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === "method");
            const value = m && ts.isPropertyAssignment(m) ? literal(m.initializer) : null;
            if (value) method = value.toUpperCase();
          }
          const namespace = namespaceOf(target.replace(/^https?:\/\//, ""));
          const clean = ("/" + path.replace(/^\//, "")).replace(/[?#].*$/, "").replace(/\/+$/, "") || "/";
          const key = `${namespace} ${method} ${clean}`;
          const entry = seen.get(key) ?? { namespace, method, path: clean, uses: 0, files: new Set<string>() };
          entry.uses++;
          entry.files.add(relative(".", file));
          seen.set(key, entry);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const requests = [...seen.values()]
  .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.path.localeCompare(b.path) || a.method.localeCompare(b.method))
  .map(({ namespace, method, path, uses, files: f }) => ({ namespace, method, path, uses, files: [...f].sort() }));
const out = join(import.meta.dirname, "..", "fixtures", "perf-do-suite-requests.json");
writeFileSync(out, JSON.stringify({ source: "dot-do/dotdo tests/benchmarks", files: files.length, requests, dynamic }, null, 1) + "\n");
console.log(`suite:requests: ${files.length} files, ${requests.length} distinct requests (${requests.reduce((s, r) => s + r.uses, 0)} call sites), ${dynamic.length} built at run time; wrote ${relative(process.cwd(), out)}`);

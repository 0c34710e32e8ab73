import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";

// The docs a newcomer reads: the README's size, links that resolve inside the repository, no words
// from the project's own history, and every version they name equal to the one pinned in the source.

const ROOT = join(import.meta.dirname, "..", "..");
const DOCS = ["README.md", "deploy/README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const text = (file: string): string => readFileSync(join(ROOT, file), "utf8");

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
function anchors(file: string): Set<string> {
  const body = text(file);
  const out = new Set<string>();
  for (const m of body.matchAll(/^#{1,6} (.+)$/gm)) out.add(anchorOf(m[1] as string));
  for (const m of body.matchAll(/<a id="([^"]+)"><\/a>/g)) out.add(m[1] as string);
  return out;
}

describe("docs", () => {
  it("keep the README at most 8 KB", () => {
    const size = statSync(join(ROOT, "README.md")).size;
    assert.ok(size <= 8192, `README.md is ${size} bytes`);
  });

  it("link only inside the repository, to files and headings that exist", () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const m of text(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] as string;
        if (/^[a-z]+:/i.test(link)) {
          broken.push(`${file}: ${link} leaves the repository`);
          continue;
        }
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path ? resolve(dirname(join(ROOT, file)), path) : join(ROOT, file);
        if (!existsSync(target)) broken.push(`${file}: ${link}: no such file`);
        else if (anchor && target.endsWith(".md") && !anchors(target.slice(ROOT.length + 1)).has(anchor)) broken.push(`${file}: ${link}: no such heading`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it("carry no words from the project's own history", () => {
    for (const file of DOCS) assert.doesNotMatch(text(file), /issue [0-9]|2-core VM|the plan\b/i, file);
  });

  it("name the versions the source pins", () => {
    const pinned = (file: string, module: string): string => (new RegExp(`${module.replace(/[./]/g, "\\$&")} (v[0-9.]+)`).exec(text(file))?.[1] as string);
    const pkg = JSON.parse(text("package.json")) as { devDependencies: Record<string, string> };
    const versions: Array<[RegExp, string]> = [
      [/\bk6 (v\d+\.\d+\.\d+)/g, pinned("tools/k6/go.mod", "go.k6.io/k6/v2")],
      [/\bactionlint (v\d+\.\d+\.\d+)/g, pinned("tools/actionlint/go.mod", "github.com/rhysd/actionlint")],
      [/\bkubeconform (v\d+\.\d+\.\d+)/g, pinned("tools/kubeconform/go.mod", "github.com/yannh/kubeconform")],
      [/\bwrangler (\d+\.\d+\.\d+)/g, pkg.devDependencies.wrangler as string],
    ];
    for (const [, want] of versions) assert.match(want, /^v?\d+\.\d+\.\d+$/);
    for (const file of DOCS) {
      for (const [pattern, want] of versions) for (const m of text(file).matchAll(pattern)) assert.equal(m[1], want, `${file}: ${m[0]}`);
    }
  });
});

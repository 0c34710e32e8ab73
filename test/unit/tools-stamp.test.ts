import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { builtFrom, stamp } from "../../lib/node/tools/stamp";

// .tools/bin reuse is decided by what tools/<name> holds, not by mtimes: CI restores .tools from its
// cache into a fresh checkout, whose files all carry new mtimes.

describe("tool binaries stamped with their sources' hash", () => {
  it("stays fresh when a checkout touches every source, and goes stale when one changes", () => {
    const root = mkdtempSync(join(tmpdir(), "perfdo-stamp-"));
    const src = join(root, "tools", "k6");
    mkdirSync(join(src, "output"), { recursive: true });
    writeFileSync(join(src, "go.mod"), "module x\n");
    writeFileSync(join(src, "output", "output.go"), "package output\n");
    const bin = join(root, "k6");
    writeFileSync(bin, "binary");
    assert.equal(builtFrom(bin, src), false, "a binary with no stamp (built before stamps, or by hand) is rebuilt");
    stamp(bin, src);
    assert.equal(builtFrom(bin, src), true);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(src, "go.mod"), later, later); // what a fresh checkout does
    assert.equal(builtFrom(bin, src), true, "a newer mtime alone is not a change");
    writeFileSync(join(src, "output", "output.go"), "package output // changed\n");
    assert.equal(builtFrom(bin, src), false, "a changed source is");
  });
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { installHelp } from "../../lib/node/k6/provision";
import { parseK6Version, pinnedK6Version } from "../../lib/node/k6/version";
import { k6Args } from "../../lib/node/k6/run";

const ROOT = join(import.meta.dirname, "..", "..");

describe("k6 version pinning", () => {
  it("reads the pinned v2 release from tools/k6/go.mod", () => {
    assert.match(pinnedK6Version(ROOT), /^v2\.\d+\.\d+$/);
  });

  it("parses k6's version line", () => {
    assert.equal(parseK6Version("k6 v2.2.0 (go1.26.8, linux/amd64)"), "v2.2.0");
    assert.equal(parseK6Version("k6 v1.8.1 (commit/abc, go1.24)"), "v1.8.1");
    assert.equal(parseK6Version("command not found"), null);
  });

  it("tells exactly how to install k6 and point K6_BIN at it", () => {
    const help = installHelp("v2.2.0");
    for (const way of ["go install go.k6.io/k6/v2@v2.2.0", "brew install k6", "grafana/k6:2.2.0", "releases", "K6_BIN="]) {
      assert.ok(help.includes(way), `mentions ${way}`);
    }
  });

  it("asks k6 for raw output and a summary export, passing env with -e", () => {
    const args = k6Args({ bin: "k6", script: "s.js", env: { PERFDO_TARGET: "local" }, rawOutput: "r.gz", summaryExport: "s.json", quiet: true });
    assert.deepEqual(args.slice(0, 2), ["run", "--out=json=r.gz"]);
    assert.ok(args.includes("--summary-export=s.json"));
    assert.ok(args.includes("--quiet"));
    assert.deepEqual(args.slice(-3), ["-e", "PERFDO_TARGET=local", "s.js"]);
  });
});

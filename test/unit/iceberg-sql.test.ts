import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyRange, matches, parseSelect } from "../../deploy/src/iceberg/sql";

// The SQL an Iceberg query accepts (deploy/src/iceberg/sql.ts): what it reads, and what it refuses.

describe("Iceberg query SQL", () => {
  it("reads one SELECT with comparisons, BETWEEN and LIMIT, values from the parameters", () => {
    assert.deepEqual(parseSelect("SELECT code, title FROM industries WHERE code BETWEEN ? AND ? AND level = ? LIMIT 5;", ["44", "45", 6]), {
      columns: ["code", "title"], table: "industries", limit: 5, count: null,
      where: [{ column: "code", op: ">=", value: "44" }, { column: "code", op: "<=", value: "45" }, { column: "level", op: "=", value: "6" }],
    });
    assert.deepEqual(keyRange([{ column: "code", op: ">=", value: "44" }, { column: "code", op: "<=", value: "45" }, { column: "level", op: "=", value: "6" }], "code"), { min: "44", max: "45" });
    assert.equal(matches({ code: "441110", level: 6 }, [{ column: "level", op: "=", value: "6" }]), true);
    assert.equal(matches({ code: "441110" }, [{ column: "level", op: "=", value: "6" }]), false, "a missing column matches nothing");
  });

  it("reads COUNT(*) with its name, and IN: its values bound the key range, and a row matches any of them", () => {
    const q = parseSelect("SELECT COUNT(*) AS n FROM things WHERE ns IN (?, ?, ?)", ["b", "a", "c"]);
    assert.ok(typeof q !== "string", String(q));
    assert.equal(q.count, "n");
    assert.deepEqual(q.where[0]?.values, ["b", "a", "c"]);
    assert.deepEqual(keyRange(q.where, "ns"), { min: "a", max: "c" });
    assert.equal(matches({ ns: "b" }, q.where), true);
    assert.equal(matches({ ns: "bb" }, q.where), false, "inside the range is not enough");
    assert.equal((parseSelect("SELECT COUNT(*) FROM t", []) as { count: string }).count, "count");
    assert.match(parseSelect("SELECT COUNT(x) FROM t", []) as string, /COUNT\(\*\)/);
  });

  it("refuses anything else with a reason: literals, other statements, unused or missing parameters", () => {
    assert.match(parseSelect("SELECT * FROM t WHERE a = 'x'", []) as string, /expected \?/);
    assert.match(parseSelect("DELETE FROM t", []) as string, /expected SELECT/);
    assert.match(parseSelect("SELECT * FROM t WHERE a = ?", []) as string, /parameter/);
    assert.match(parseSelect("SELECT * FROM t", ["x"]) as string, /1 parameter\(s\) given, 0 used/);
    assert.match(parseSelect("SELECT * FROM t; DROP TABLE t", []) as string, /unexpected/);
    assert.match(parseSelect("SELECT * FROM t WHERE a = ?", [{ x: 1 }]) as string, /string or number/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { s, type Infer } from "../../deploy/src/schema";

// The Worker's body validator (deploy/src/schema.ts): what it accepts, typed, and the one line per
// field it gives for what it refuses (the router's 400 joins them).

const check = <T>(schema: { check(v: unknown, p: string, i: string[]): T | undefined }, value: unknown): { value?: T; issues: string[] } => {
  const issues: string[] = [];
  const out = schema.check(value, "", issues);
  return issues.length > 0 ? { issues } : { value: out as T, issues };
};

describe("the Worker's body schemas", () => {
  const Set = s.object({ key: s.string({ min: 1 }), value: s.value(), ttl: s.optional(s.number({ positive: true })), deps: s.optional(s.array(s.string())), mode: s.optional(s.literal("a", "b")) });
  it("accepts a valid body and keeps other fields", () => {
    const body = { key: "k", value: null, ttl: 5, deps: ["x"], mode: "a", extra: 1 };
    const r = check(Set, body);
    assert.deepEqual(r.issues, []);
    const typed: Infer<typeof Set> | undefined = r.value;
    assert.equal(typed?.key, "k");
  });

  it("names every field that is wrong, with what was expected", () => {
    assert.deepEqual(check(Set, { key: "", ttl: -1, deps: ["a", 2], mode: "c" }).issues, [
      "key: expected a string of at least 1 character(s)",
      "value: required",
      "ttl: expected a positive number",
      "deps[1]: expected a string",
      'mode: expected one of "a", "b"',
    ]);
    assert.deepEqual(check(Set, [1]).issues, ["body: expected an object"]);
    assert.deepEqual(check(s.object({ inner: s.object({ n: s.number({ integer: true }) }) }), { inner: { n: 1.5 } }).issues, ["inner.n: expected an integer"]);
  });

  it("treats null like a missing optional field", () => {
    assert.deepEqual(check(Set, { key: "k", value: 1, ttl: null }).issues, []);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LIMITS, q, s, type Infer } from "../../deploy/src/schema";

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
      "key: expected a string of 1–65536 characters",
      "value: required",
      "ttl: expected a positive number",
      "deps[1]: expected a string of at most 65536 characters",
      'mode: expected one of "a", "b"',
    ]);
    assert.deepEqual(check(Set, [1]).issues, ["body: expected an object"]);
    assert.deepEqual(check(s.object({ inner: s.object({ n: s.number({ integer: true }) }) }), { inner: { n: 1.5 } }).issues, ["inner.n: expected an integer"]);
  });

  it("treats null like a missing optional field", () => {
    assert.deepEqual(check(Set, { key: "k", value: 1, ttl: null }).issues, []);
  });

  it("converts what a schema reads (a time, a parsed value) and leaves the request's own object alone", () => {
    const Body = s.object({ at: s.time(), size: s.parsed("a duration", (v) => (v === "1s" ? 1000 : null)), tags: s.array(s.string()) });
    const raw = { at: "2026-01-01T00:00:00Z", size: "1s", tags: ["a"] };
    const r = check(Body, raw);
    assert.deepEqual(r.value, { at: Date.parse("2026-01-01T00:00:00Z"), size: 1000, tags: ["a"] });
    assert.equal(raw.at, "2026-01-01T00:00:00Z", "the parsed body is a copy where a field changed");
    assert.equal(r.value?.tags, raw.tags, "an array of plain items is not copied");
    assert.deepEqual(check(Body, { at: "soon", size: "2s", tags: [] }).issues, ["at: expected a time (ms since the epoch, or a date)", "size: expected a duration"]);
  });

  it("tells tagged shapes apart, bounds arrays and numbers, and refuses a field that must be absent", () => {
    const Step = s.tagged("type", { map: s.object({ type: s.literal("map"), mapping: s.record() }), filter: s.object({ type: s.literal("filter"), field: s.string() }) });
    assert.deepEqual(check(Step, { type: "map", mapping: {} }).issues, []);
    assert.deepEqual(check(Step, { type: "map", mapping: 1 }).issues, ["mapping: expected an object"]);
    assert.deepEqual(check(Step, { type: "sort" }).issues, ['type: expected one of "map", "filter"']);
    assert.deepEqual(check(s.array(s.number(), { min: 1, max: 2 }), [1, 2, 3]).issues, ["body: expected an array of 1–2 items"]);
    assert.deepEqual(check(s.number({ integer: true, min: 1, max: 64 }), 65).issues, ["body: expected an integer from 1 to 64"]);
    assert.deepEqual(check(s.object({ id: s.string(), ns: s.absent() }), { id: "x", ns: "y" }).issues, ["ns: must be absent"]);
    assert.deepEqual(check(s.array(s.scalar()), ["a", 1, null, {}]).issues, ["[3]: expected a string of at most 65536 characters, a number or null"]);
  });

  it("bounds every string, array and free JSON value unless a route declares more", () => {
    assert.deepEqual(check(s.string(), "x".repeat(LIMITS.string + 1)).issues, [`body: expected a string of at most ${LIMITS.string} characters`]);
    assert.deepEqual(check(s.string({ max: 3 }), "abcd").issues, ["body: expected a string of at most 3 characters"]);
    assert.deepEqual(check(s.array(s.number()), Array(LIMITS.array + 1).fill(1)).issues, [`body: expected an array of 0–${LIMITS.array} items`]);
    let deep: unknown = 1;
    for (let i = 0; i < LIMITS.depth + 1; i++) deep = [deep];
    assert.deepEqual(check(s.value(), deep).issues, [`body: expected a JSON value nested at most ${LIMITS.depth} deep, of at most ${LIMITS.nodes} values`]);
    assert.deepEqual(check(s.record(), { a: deep }).issues, [`body: expected an object nested at most ${LIMITS.depth} deep, of at most ${LIMITS.nodes} values`]);
    assert.deepEqual(check(s.value(), Array(LIMITS.nodes).fill(0)).issues.length, 1, "more values than LIMITS.nodes");
    assert.deepEqual(check(s.value(), { a: [1, { b: "c" }] }).issues, []);
  });

  it("reads query and path text into the declared type, within its range", () => {
    const Query = s.object({ limit: s.withDefault(q.int({ min: 1, max: 1000 }), 100), ratio: s.optional(q.number({ min: 0, max: 1 })), on: s.optional(q.bool()), order: s.optional(q.oneOf("asc", "desc")), ids: s.optional(q.list(q.string({ max: 8 }), { max: 3 })) });
    assert.deepEqual(check(Query, {}).value, { limit: 100 });
    assert.deepEqual(check(Query, { limit: "5", ratio: "0.5", on: "true", order: "desc", ids: "a,b" }).value, { limit: 5, ratio: 0.5, on: true, order: "desc", ids: ["a", "b"] });
    for (const bad of ["-1", "0", "1001", "1e10", "NaN", "Infinity", "0x10", "", " 5", "2.5"]) assert.deepEqual(check(Query, { limit: bad }).issues, ["limit: expected an integer from 1 to 1000"], bad);
    assert.deepEqual(check(Query, { ratio: "2" }).issues, ["ratio: expected a number from 0 to 1"]);
    assert.deepEqual(check(Query, { on: "yes" }).issues, ["on: expected true or false"]);
    assert.deepEqual(check(Query, { ids: "a,b,c,d" }).issues, ["ids: expected at most 3 comma-separated items"]);
    assert.deepEqual(check(Query, { ids: "a,123456789" }).issues, ["ids[1]: expected a string of at most 8 characters"]);
    assert.deepEqual(check(s.object({ f: q.repeated(q.string(), { min: 1, max: 2 }) }), { f: ["a", "b", "c"] }).issues, ["f: expected 1–2 of them"]);
  });
});

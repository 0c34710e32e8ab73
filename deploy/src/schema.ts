// The Worker's own small validator for request input. zod (zod/mini) was the first choice and does
// the job, but measured in this bundle it took the Worker from 273 KB to 725 KB, and every cold
// start parses the whole bundle: the checks routes need (types, presence, ranges, sizes, enums,
// nesting) are these few builders instead. A schema checks a value and returns it typed, or records
// what is wrong with each field. Each also says what it accepts (`shape`), which the route list and
// the fuzzer (test/integration/fuzz.test.ts) read to derive hostile requests from it.
//
// Every string, array and free JSON value has a maximum: a route that needs more declares it.

/** What a schema accepts, for tools that derive requests from it. */
export type Shape =
  | { kind: "string"; min: number; max: number; pattern?: RegExp }
  | { kind: "number"; min: number; max: number; integer: boolean; text?: boolean }
  | { kind: "boolean"; text?: boolean }
  | { kind: "value" }
  | { kind: "scalar" }
  | { kind: "record" }
  | { kind: "literal"; values: readonly (string | number)[] }
  | { kind: "optional"; inner: Schema<unknown> }
  | { kind: "default"; inner: Schema<unknown> }
  | { kind: "array"; item: Schema<unknown>; min: number; max: number }
  | { kind: "list"; item: Schema<unknown>; max: number; repeated?: boolean }
  | { kind: "union"; options: readonly Schema<unknown>[] }
  | { kind: "parsed"; expected: string; example?: unknown }
  | { kind: "absent" }
  | { kind: "tagged"; key: string; variants: Readonly<Record<string, Schema<unknown>>> }
  | { kind: "object"; fields: Readonly<Record<string, Schema<unknown>>> };

export interface Schema<T> {
  /** The value as T, or undefined after pushing `<path>: <what was expected>` onto `issues`. */
  check(value: unknown, path: string, issues: string[]): T | undefined;
  /** Whether the key may be missing from an object. */
  readonly optional?: boolean;
  readonly shape: Shape;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** An object schema's type: a field whose schema admits undefined (s.optional) is an optional key. */
type Flat<T> = { [K in keyof T]: T[K] };
export type ObjectOf<F extends Record<string, Schema<unknown>>> = Flat<
  { [K in keyof F as undefined extends Infer<F[K]> ? never : K]: Infer<F[K]> } & { [K in keyof F as undefined extends Infer<F[K]> ? K : never]?: Infer<F[K]> }
>;

/** Default bounds: a string's characters, an array's items, a free JSON value's depth and size. */
export const LIMITS = { string: 65_536, array: 10_000, depth: 32, nodes: 100_000 } as const;

const at = (path: string): string => path || "body";

function leaf<T>(expected: string, ok: (v: unknown) => boolean, shape: Shape): Schema<T> {
  return {
    shape,
    check(value, path, issues) {
      if (ok(value)) return value as T;
      issues.push(`${at(path)}: expected ${expected}`);
      return undefined;
    },
  };
}

/** Whether a free JSON value stays within LIMITS (nesting and count of values): walked without recursion. */
function bounded(value: unknown): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (++nodes > LIMITS.nodes || depth > LIMITS.depth) return false;
    if (typeof v === "object" && v !== null) for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

const range = (min: number, max: number, integer: boolean): string =>
  max === Infinity ? (min === -Infinity ? (integer ? "an integer" : "a number") : `${integer ? "an integer" : "a number"} ≥ ${min}`) : `${integer ? "an integer" : "a number"} from ${min === -Infinity ? "-∞" : min} to ${max}`;

const free = `a JSON value nested at most ${LIMITS.depth} deep, of at most ${LIMITS.nodes} values`;

export const s = {
  string: (opts: { min?: number; max?: number; pattern?: RegExp; expected?: string } = {}): Schema<string> => {
    const min = opts.min ?? 0;
    const max = opts.max ?? LIMITS.string;
    return leaf(
      opts.expected ?? (min ? `a string of ${min}–${max} characters` : `a string of at most ${max} characters`),
      (v) => typeof v === "string" && v.length >= min && v.length <= max && (opts.pattern === undefined || opts.pattern.test(v)),
      { kind: "string", min, max, pattern: opts.pattern },
    );
  },
  number: (opts: { positive?: boolean; integer?: boolean; min?: number; max?: number } = {}): Schema<number> => {
    const integer = opts.integer ?? false;
    const min = opts.min ?? (opts.positive ? Number.MIN_VALUE : -Infinity);
    const max = opts.max ?? Infinity;
    return leaf(
      opts.positive && opts.min === undefined && opts.max === undefined ? "a positive number" : range(opts.min ?? -Infinity, max, integer),
      (v) => typeof v === "number" && Number.isFinite(v) && (!opts.positive || v > 0) && (!integer || Number.isInteger(v)) && v >= min && v <= max,
      { kind: "number", min, max, integer },
    );
  },
  /** A time: ms since the epoch as a number (or a string of digits), or a date string `Date.parse` reads; checked as that number. */
  time: (): Schema<number> => ({
    shape: { kind: "parsed", expected: "a time", example: 1_700_000_000_000 },
    check(value, path, issues) {
      const n = typeof value === "number" ? value : typeof value === "string" && value.length <= 64 ? (/^\d+$/.test(value) ? Number(value) : Date.parse(value)) : NaN;
      if (Number.isFinite(n) && Math.abs(n) <= 8.64e15) return Math.trunc(n);
      issues.push(`${at(path)}: expected a time (ms since the epoch, or a date)`);
      return undefined;
    },
  }),
  /** A string, a number or null: a value SQL binds as it is. */
  scalar: (): Schema<string | number | null> =>
    leaf(`a string of at most ${LIMITS.string} characters, a number or null`, (v) => v === null || (typeof v === "string" && v.length <= LIMITS.string) || (typeof v === "number" && Number.isFinite(v)), { kind: "scalar" }),
  boolean: (): Schema<boolean> => leaf("true or false", (v) => typeof v === "boolean", { kind: "boolean" }),
  /** Present, of any type (JSON null included), within LIMITS. */
  value: (): Schema<unknown> => leaf(free, (v) => v !== undefined && bounded(v), { kind: "value" }),
  literal: <const V extends readonly (string | number)[]>(...values: V): Schema<V[number]> =>
    leaf(`one of ${values.map((v) => JSON.stringify(v)).join(", ")}`, (v) => values.includes(v as V[number]), { kind: "literal", values }),
  optional: <T>(inner: Schema<T>): Schema<T | undefined> => ({
    optional: true,
    shape: { kind: "optional", inner },
    check: (value, path, issues) => (value === undefined || value === null ? undefined : inner.check(value, path, issues)),
  }),
  /** `inner`, or `fallback` when the value is missing (a query parameter's default). */
  withDefault: <T>(inner: Schema<T>, fallback: T): Schema<T> => ({
    optional: true,
    shape: { kind: "default", inner },
    check: (value, path, issues) => (value === undefined || value === null ? fallback : inner.check(value, path, issues)),
  }),
  array: <T>(item: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> => {
    const min = opts.min ?? 0;
    const max = opts.max ?? LIMITS.array;
    return {
      shape: { kind: "array", item, min, max },
      check(value, path, issues) {
        if (!Array.isArray(value) || value.length < min || value.length > max) {
          issues.push(`${at(path)}: expected an array of ${min}–${max} items`);
          return undefined;
        }
        const before = issues.length;
        const out = value.map((v, i) => item.check(v, `${path}[${i}]`, issues));
        if (issues.length !== before) return undefined;
        // The array itself unless an item was converted (no copy per request for plain items).
        return (out.every((x, i) => x === value[i]) ? value : out) as T[];
      },
    };
  },
  /** Either shape (the first that fits), e.g. a participant given as a name or as `{id, data}`. */
  union: <A, B>(a: Schema<A>, b: Schema<B>, expected: string): Schema<A | B> => ({
    shape: { kind: "union", options: [a, b] },
    check(value, path, issues) {
      for (const option of [a, b] as Array<Schema<A | B>>) {
        const tried: string[] = [];
        const out = option.check(value, path, tried);
        if (tried.length === 0) return out;
      }
      issues.push(`${at(path)}: expected ${expected}`);
      return undefined;
    },
  }),
  /** A value read by `parse` (null when it cannot be): a duration like "30s", checked as its ms. `example` is one it accepts. */
  parsed: <T>(expected: string, parse: (v: unknown) => T | null, example?: unknown): Schema<T> => ({
    shape: { kind: "parsed", expected, example },
    check(value, path, issues) {
      const out = parse(value);
      if (out === null) issues.push(`${at(path)}: expected ${expected}`);
      return out ?? undefined;
    },
  }),
  /** A field that must not be there (a body of another feature's shape on a shared path has it). */
  absent: (): Schema<undefined> => ({
    optional: true,
    shape: { kind: "absent" },
    check(value, path, issues) {
      if (value !== undefined) issues.push(`${at(path)}: must be absent`);
      return undefined;
    },
  }),
  /** Any JSON object within LIMITS, its fields unchecked (a mapping, a row, a change event's `after`). */
  record: (): Schema<Record<string, unknown>> => ({
    shape: { kind: "record" },
    check(value, path, issues) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) issues.push(`${at(path)}: expected an object`);
      else if (!bounded(value)) issues.push(`${at(path)}: expected an object nested at most ${LIMITS.depth} deep, of at most ${LIMITS.nodes} values`);
      else return value as Record<string, unknown>;
      return undefined;
    },
  }),
  /** One of several object shapes, told apart by the string at `key` (`{type: "filter", …}`). */
  tagged: <M extends Record<string, Schema<unknown>>>(key: string, variants: M): Schema<Infer<M[keyof M]>> => ({
    shape: { kind: "tagged", key, variants },
    check(value, path, issues) {
      const tag = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
      const variant = typeof tag === "string" && Object.hasOwn(variants, tag) ? variants[tag] : undefined;
      if (variant) return variant.check(value, path, issues) as Infer<M[keyof M]> | undefined;
      issues.push(`${path ? `${path}.${key}` : key}: expected one of ${Object.keys(variants).map((t) => JSON.stringify(t)).join(", ")}`);
      return undefined;
    },
  }),
  /** An object with these fields (others are kept as they are; a field a schema converts, as `time` does, is replaced by its checked value). */
  object: <F extends Record<string, Schema<unknown>>>(fields: F): Schema<ObjectOf<F>> => ({
    shape: { kind: "object", fields },
    check(value, path, issues) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        issues.push(`${at(path)}: expected an object`);
        return undefined;
      }
      const before = issues.length;
      let obj = value as Record<string, unknown>;
      for (const [key, field] of Object.entries(fields)) {
        const v = obj[key];
        const where = path ? `${path}.${key}` : key;
        if (v === undefined && !field.optional) issues.push(`${where}: required`);
        else {
          const checked = field.check(v, where, issues);
          if (checked !== v && (checked !== undefined || v === null)) obj = { ...obj, [key]: checked };
        }
      }
      return issues.length === before ? (obj as ObjectOf<F>) : undefined;
    },
  }),
};

// Query string and path parameters arrive as text: these read the text into the type the route
// declares, with the same bounds and messages (`query.limit: expected an integer from 1 to 1000`).

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A number written in a query string or path (`12`, `-3`, `0.5`; not `0x10`, `Infinity` or ``), within range. */
function textNumber(opts: { integer?: boolean; min?: number; max?: number }): Schema<number> {
  const integer = opts.integer ?? false;
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  const expected = range(min, max, integer);
  return {
    shape: { kind: "number", min, max, integer, text: true },
    check(value, path, issues) {
      const n = typeof value === "string" && DECIMAL.test(value) ? Number(value) : NaN;
      if (Number.isFinite(n) && (!integer || Number.isInteger(n)) && n >= min && n <= max) return n;
      issues.push(`${at(path)}: expected ${expected}`);
      return undefined;
    },
  };
}

export const q = {
  /** A parameter given once or more (`filter=a&filter=b`), each checked by `item`, at most `max` times. */
  repeated: <T>(item: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> => {
    const min = opts.min ?? 0;
    const max = opts.max ?? 16;
    return {
      optional: min === 0,
      shape: { kind: "list", item, max, repeated: true },
      check(value, path, issues) {
        const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
        if (all.length < min || all.length > max) {
          issues.push(`${at(path)}: expected ${min}–${max} of them`);
          return undefined;
        }
        const before = issues.length;
        const out = all.map((p, i) => item.check(p, `${path}[${i}]`, issues));
        return issues.length === before ? (out as T[]) : undefined;
      },
    };
  },
  /** Text, of at most `max` characters (256 unless declared). */
  string: (opts: { min?: number; max?: number; pattern?: RegExp; expected?: string } = {}): Schema<string> => s.string({ max: 256, ...opts }),
  int: (opts: { min?: number; max?: number } = {}): Schema<number> => textNumber({ ...opts, integer: true }),
  number: (opts: { min?: number; max?: number } = {}): Schema<number> => textNumber(opts),
  /** `true` or `false`. */
  bool: (): Schema<boolean> => ({
    shape: { kind: "boolean", text: true },
    check(value, path, issues) {
      if (value === "true" || value === "false") return value === "true";
      issues.push(`${at(path)}: expected true or false`);
      return undefined;
    },
  }),
  /** One of these words. */
  oneOf: <const V extends readonly string[]>(...values: V): Schema<V[number]> => s.literal(...values),
  /** Comma-separated items (`a,b,c`), each checked by `item`, at most `max` of them. */
  list: <T>(item: Schema<T>, opts: { max?: number } = {}): Schema<T[]> => {
    const max = opts.max ?? 100;
    return {
      shape: { kind: "list", item, max },
      check(value, path, issues) {
        const parts = typeof value === "string" ? value.split(",").map((p) => p.trim()) : null;
        if (parts === null || parts.length > max) {
          issues.push(`${at(path)}: expected at most ${max} comma-separated items`);
          return undefined;
        }
        const before = issues.length;
        const out = parts.map((p, i) => item.check(p, `${path}[${i}]`, issues));
        return issues.length === before ? (out as T[]) : undefined;
      },
    };
  },
};

// The Worker's own small validator for request bodies. zod (zod/mini) was the first choice and does
// the job, but measured in this bundle it took the Worker from 273 KB to 725 KB, and every cold
// start parses the whole bundle: the checks routes need (types, presence, ranges, enums, nesting)
// are these few builders instead. A schema checks a value and returns it typed, or records what is
// wrong with each field.

export interface Schema<T> {
  /** The value as T, or undefined after pushing `<path>: <what was expected>` onto `issues`. */
  check(value: unknown, path: string, issues: string[]): T | undefined;
  /** Whether the key may be missing from an object. */
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** An object schema's type: a field whose schema admits undefined (s.optional) is an optional key. */
type Flat<T> = { [K in keyof T]: T[K] };
type ObjectOf<F extends Record<string, Schema<unknown>>> = Flat<
  { [K in keyof F as undefined extends Infer<F[K]> ? never : K]: Infer<F[K]> } & { [K in keyof F as undefined extends Infer<F[K]> ? K : never]?: Infer<F[K]> }
>;

const at = (path: string): string => path || "body";

function leaf<T>(expected: string, ok: (v: unknown) => boolean): Schema<T> {
  return {
    check(value, path, issues) {
      if (ok(value)) return value as T;
      issues.push(`${at(path)}: expected ${expected}`);
      return undefined;
    },
  };
}

export const s = {
  string: (opts: { min?: number; pattern?: RegExp; expected?: string } = {}): Schema<string> =>
    leaf(
      opts.expected ?? (opts.min ? `a string of at least ${opts.min} character(s)` : "a string"),
      (v) => typeof v === "string" && v.length >= (opts.min ?? 0) && (opts.pattern === undefined || opts.pattern.test(v)),
    ),
  number: (opts: { positive?: boolean; integer?: boolean; min?: number; max?: number } = {}): Schema<number> =>
    leaf(
      opts.max !== undefined
        ? `${opts.integer ? "an integer" : "a number"} from ${opts.min ?? "-∞"} to ${opts.max}`
        : opts.positive ? "a positive number" : opts.integer ? `an integer${opts.min !== undefined ? ` ≥ ${opts.min}` : ""}` : opts.min !== undefined ? `a number ≥ ${opts.min}` : "a number",
      (v) =>
        typeof v === "number" && Number.isFinite(v) && (!opts.positive || v > 0) && (!opts.integer || Number.isInteger(v)) &&
        (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max),
    ),
  /** A time: ms since the epoch as a number (or a string of digits), or a date string `Date.parse` reads; checked as that number. */
  time: (): Schema<number> => ({
    check(value, path, issues) {
      const n = typeof value === "number" ? value : typeof value === "string" ? (/^\d+$/.test(value) ? Number(value) : Date.parse(value)) : NaN;
      if (Number.isFinite(n)) return Math.trunc(n);
      issues.push(`${at(path)}: expected a time (ms since the epoch, or a date)`);
      return undefined;
    },
  }),
  /** A string, a number or null: a value SQL binds as it is. */
  scalar: (): Schema<string | number | null> => leaf("a string, a number or null", (v) => v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v))),
  boolean: (): Schema<boolean> => leaf("true or false", (v) => typeof v === "boolean"),
  /** Present, of any type (JSON null included). */
  value: (): Schema<unknown> => leaf("a value", (v) => v !== undefined),
  literal: <const V extends readonly (string | number)[]>(...values: V): Schema<V[number]> =>
    leaf(`one of ${values.map((v) => JSON.stringify(v)).join(", ")}`, (v) => values.includes(v as V[number])),
  optional: <T>(inner: Schema<T>): Schema<T | undefined> => ({
    optional: true,
    check: (value, path, issues) => (value === undefined || value === null ? undefined : inner.check(value, path, issues)),
  }),
  array: <T>(item: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> => ({
    check(value, path, issues) {
      if (!Array.isArray(value) || value.length < (opts.min ?? 0) || value.length > (opts.max ?? Infinity)) {
        const size = opts.max !== undefined ? ` of ${opts.min ?? 0}–${opts.max} items` : opts.min ? ` of at least ${opts.min} item(s)` : "";
        issues.push(`${at(path)}: expected an array${size}`);
        return undefined;
      }
      const before = issues.length;
      const out = value.map((v, i) => item.check(v, `${path}[${i}]`, issues));
      if (issues.length !== before) return undefined;
      // The array itself unless an item was converted (no copy per request for plain items).
      return (out.every((x, i) => x === value[i]) ? value : out) as T[];
    },
  }),
  /** Either shape (the first that fits), e.g. a participant given as a name or as `{id, data}`. */
  union: <A, B>(a: Schema<A>, b: Schema<B>, expected: string): Schema<A | B> => ({
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
  /** A value read by `parse` (null when it cannot be): a duration like "30s", checked as its ms. */
  parsed: <T>(expected: string, parse: (v: unknown) => T | null): Schema<T> => ({
    check(value, path, issues) {
      const out = parse(value);
      if (out === null) issues.push(`${at(path)}: expected ${expected}`);
      return out ?? undefined;
    },
  }),
  /** A field that must not be there (a body of another feature's shape on a shared path has it). */
  absent: (): Schema<undefined> => ({
    optional: true,
    check(value, path, issues) {
      if (value !== undefined) issues.push(`${at(path)}: must be absent`);
      return undefined;
    },
  }),
  /** Any JSON object, its fields unchecked (a mapping, a row, a change event's `after`). */
  record: (): Schema<Record<string, unknown>> =>
    leaf("an object", (v) => typeof v === "object" && v !== null && !Array.isArray(v)),
  /** One of several object shapes, told apart by the string at `key` (`{type: "filter", …}`). */
  tagged: <M extends Record<string, Schema<unknown>>>(key: string, variants: M): Schema<Infer<M[keyof M]>> => ({
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

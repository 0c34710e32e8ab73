import { isObject } from "./values";

// The data fork, clone and move carry between objects, and the pure rules that shape it; free of
// Workers types so they are unit-testable in Node.

/** What fork, clone and move carry from one object to another. */
export interface Snapshot {
  state: Array<[string, unknown]>;
  records: Array<{ id: string; active: boolean; amount: number; data: unknown }>;
  counter: number;
}

export interface SnapshotFilter {
  /** Key prefixes of `state` to keep (all when absent) and to drop. */
  include?: string[];
  exclude?: string[];
  /** Tables to copy: "state", "records" (both when absent). */
  tables?: { include?: string[]; exclude?: string[] };
  /** Only state, no table rows. */
  shallow?: boolean;
}

/** Whether a key passes include/exclude prefix filters. Pure; unit-tested. */
export function keyPasses(key: string, include?: readonly string[], exclude?: readonly string[]): boolean {
  if (include && include.length > 0 && !include.some((p) => key.startsWith(p))) return false;
  return !(exclude ?? []).some((p) => key.startsWith(p));
}

/** `records` as sent by the tests: a count (generated `item-N` rows) or an array of objects. */
export function seedRecords(input: unknown): Snapshot["records"] | string {
  if (typeof input === "number" && Number.isInteger(input) && input >= 0 && input <= 100_000) {
    return Array.from({ length: input }, (_, i) => ({ id: `item-${i}`, active: i % 2 === 0, amount: i, data: {} }));
  }
  if (!Array.isArray(input)) return "records must be a count (0–100000) or an array of objects";
  return input.map((r, i) => {
    const o = isObject(r) ? r : {};
    const id = typeof o.id === "string" ? o.id : typeof o.key === "string" ? o.key : `item-${i}`;
    return { id, active: o.active !== false, amount: typeof o.amount === "number" ? o.amount : 0, data: o };
  });
}


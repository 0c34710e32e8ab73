// CSV datasets for scenarios (fixtures/standards/), parsed with papaparse once per k6 process into a
// SharedArray: k6 runs the callback in one init only and every VU reads the same rows, so 50 VUs do
// not hold 50 copies. papaparse is required inside the callback: its code is evaluated there once,
// not in every VU's init (esbuild turns the require into a lazy module initializer).

import { SharedArray } from "k6/data";

declare function require(id: string): unknown;

export type Row = Record<string, string>;
/** A SharedArray's face: indexed, with a length (its elements are copies; it is read-only). */
export type Rows = { readonly length: number; readonly [index: number]: Row };

/** `path` is relative to the built script (build/<scenario>.js), as k6's open() reads it. */
export function csvRows(name: string, path: string): Rows {
  return new SharedArray(name, () => {
    const Papa = require("papaparse") as typeof import("papaparse");
    const parsed = Papa.parse<Row>(open(path), { header: true, skipEmptyLines: true });
    if (parsed.errors.length > 0) throw new Error(`${path}: ${parsed.errors[0]?.message} (row ${parsed.errors[0]?.row})`);
    return parsed.data;
  }) as unknown as Rows;
}

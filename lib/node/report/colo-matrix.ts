import Table from "cli-table3";
import type { BenchmarkResult } from "../results/schema";
import { fmtMs } from "./matrix";

// The colo-to-colo matrix (network/colo-matrix): operations named `colo.<SOURCE>-<TARGET>`, from the
// newest run of each scenario that has them, as a grid of p50 latencies: a console table and an HTML
// heatmap (green fast → red slow, on the matrix's own range).

const PAIR = /^colo\.([A-Z]{3,4})-([A-Z]{3,4})$/;

export interface ColoMatrix {
  scenario: string;
  runId: string;
  target: string;
  targetKind: "local" | "remote";
  colos: string[];
  /** `${source}>${target}` → p50 ms (null: no successful sample). */
  p50: Map<string, number | null>;
}

export function coloMatrices(results: readonly BenchmarkResult[]): ColoMatrix[] {
  const newest = new Map<string, BenchmarkResult>();
  for (const r of results) {
    if (!PAIR.test(r.name)) continue;
    const seen = newest.get(r.scenario);
    if (!seen || r.timestamp > seen.timestamp) newest.set(r.scenario, r);
  }
  return [...newest.values()].map((run) => {
    const p50 = new Map<string, number | null>();
    const order: string[] = [];
    for (const r of results) {
      const m = r.runId === run.runId ? PAIR.exec(r.name) : null;
      if (!m) continue;
      for (const c of [m[1] as string, m[2] as string]) if (!order.includes(c)) order.push(c);
      p50.set(`${m[1]}>${m[2]}`, r.latency?.p50 ?? null);
    }
    return { scenario: run.scenario, runId: run.runId, target: run.target, targetKind: run.targetKind, colos: order, p50 };
  });
}

const caption = (m: ColoMatrix): string => `colo matrix: ${m.scenario} (${m.runId}), p50 ms, source ↓ × target →${m.targetKind === "local" ? " (local target: the Worker's colo model)" : ""}`;

export function consoleColoMatrix(m: ColoMatrix): string {
  const table = new Table({ head: ["", ...m.colos], colAligns: ["left", ...m.colos.map(() => "right" as const)], style: { head: [], border: [] } });
  for (const s of m.colos) table.push([s, ...m.colos.map((t) => fmtMs(m.p50.get(`${s}>${t}`) ?? null))]);
  return `${caption(m)}\n${table.toString()}`;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

/** A heatmap table: each cell's hue from green (the matrix's fastest) to red (its slowest). */
export function htmlColoMatrix(m: ColoMatrix): string {
  const values = [...m.p50.values()].filter((v): v is number => v !== null);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const cell = (v: number | null): string => {
    if (v === null) return `<td class="n heat missing">—</td>`;
    const hue = hi > lo ? Math.round(120 * (1 - (v - lo) / (hi - lo))) : 120;
    return `<td class="n heat" style="background:hsl(${hue},70%,80%)" data-ms="${v}">${fmtMs(v)}</td>`;
  };
  const rows = m.colos.map((s) => `<tr><th>${esc(s)}</th>${m.colos.map((t) => cell(m.p50.get(`${s}>${t}`) ?? null)).join("")}</tr>`).join("\n");
  return `<h2>${esc(caption(m))}</h2>
<table class="colo-matrix" data-scenario="${esc(m.scenario)}"><thead><tr><th></th>${m.colos.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

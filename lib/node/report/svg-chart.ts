import { escapeHtml as esc } from "./html-escape";

// Charts as inline SVG written here, not drawn in the browser: a report opens instantly whatever the
// run's size (its points are per second, not per sample), prints, and needs no script or library.
// Each chart carries its figures as data- attributes, so a test reads in the browser what was drawn.

export interface Series {
  label: string;
  /** CSS class (colour). */
  cls: string;
  /** y per x (null: no value there; the line breaks). */
  points: Array<[number, number | null]>;
  /** Drawn as bars from 0 instead of a line. */
  bars?: boolean;
}

export interface ChartOptions {
  id: string;
  title: string;
  yLabel: string;
  xLabel: string;
  series: Series[];
  /** x range; by default the points'. */
  xMin?: number;
  xMax?: number;
  /** Tick positions on x, with their labels (default: 5 evenly spaced, formatted by fmtX). */
  xTicks?: Array<[number, string]>;
  fmtX?: (x: number) => string;
  /** How much of x one bar covers (default 1: a second). */
  barX?: number;
  /** Vertical markers (e.g. the knee of a sweep). */
  markers?: Array<{ x: number; label: string }>;
  /** data- attributes for tests and tools. */
  data?: Record<string, string | number>;
  width?: number;
  height?: number;
}

const L = 52;
const R = 28;
const T = 12;
const B = 34;

export const fmtNumber = (v: number): string => (v === 0 ? "0" : Math.abs(v) < 10 ? v.toFixed(2) : Math.abs(v) < 1000 ? v.toFixed(1) : v.toFixed(0));

export function svgChart(o: ChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 210;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const x0 = o.xMin ?? (xs.length > 0 ? Math.min(...xs) : 0);
  const x1 = o.xMax ?? (xs.length > 0 ? Math.max(...xs) : 1);
  let yTop = 0;
  for (const s of o.series) for (const [, y] of s.points) if (y !== null && y > yTop) yTop = y;
  yTop = yTop > 0 ? yTop * 1.1 : 1;
  const x = (v: number): number => (x1 === x0 ? L + (W - L - R) / 2 : L + ((v - x0) / (x1 - x0)) * (W - L - R));
  const y = (v: number): number => T + (1 - v / yTop) * (H - T - B);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yTop * i) / 4;
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${L - 6}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end">${fmtNumber(v)}</text>`);
  }
  const fmtX = o.fmtX ?? fmtNumber;
  const ticks = o.xTicks ?? Array.from({ length: 5 }, (_, i): [number, string] => [x0 + ((x1 - x0) * i) / 4, fmtX(x0 + ((x1 - x0) * i) / 4)]);
  // A short run's evenly spaced ticks can round to the same label: each label once.
  for (const [v, label] of ticks.filter((tick, i) => i === 0 || tick[1] !== ticks[i - 1]?.[1])) parts.push(`<text x="${x(v).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${esc(label)}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text x="12" y="${T + (H - T - B) / 2}" transform="rotate(-90 12 ${T + (H - T - B) / 2})" text-anchor="middle">${esc(o.yLabel)}</text>`);
  const barX = o.barX ?? 1;
  const step = o.series.some((s) => s.bars) ? Math.max(1, ((W - L - R) * barX) / Math.max(1, x1 - x0 + barX) - 1) : 0;
  for (const s of o.series) {
    if (s.bars) {
      const rects = s.points
        .filter((p): p is [number, number] => p[1] !== null && p[1] > 0)
        .map(([px, py]) => `<rect x="${(x(px) - step / 2).toFixed(1)}" y="${y(py).toFixed(1)}" width="${step.toFixed(1)}" height="${(y(0) - y(py)).toFixed(1)}"/>`)
        .join("");
      parts.push(`<g class="bars ${s.cls}" data-series="${esc(s.label)}">${rects}</g>`);
      continue;
    }
    let d = "";
    const dots: string[] = [];
    s.points.forEach(([px, py], i) => {
      if (py === null) return;
      const joined = i > 0 && s.points[i - 1]?.[1] !== null;
      d += `${joined ? "L" : "M"}${x(px).toFixed(1)} ${y(py).toFixed(1)} `;
      // A point with no neighbour draws no line: a dot, so it is seen.
      if (!joined && (s.points[i + 1]?.[1] ?? null) === null) dots.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="2.5"/>`);
    });
    parts.push(`<path class="series ${s.cls}" data-series="${esc(s.label)}" d="${d.trim()}"/>${dots.length > 0 ? `<g class="dots ${s.cls}">${dots.join("")}</g>` : ""}`);
  }
  for (const m of o.markers ?? []) {
    parts.push(`<line class="marker" x1="${x(m.x).toFixed(1)}" x2="${x(m.x).toFixed(1)}" y1="${T}" y2="${H - B}"/><text class="marker-label" x="${(x(m.x) + 4).toFixed(1)}" y="${T + 10}">${esc(m.label)}</text>`);
  }
  const data = Object.entries(o.data ?? {})
    .map(([k, v]) => ` data-${k}="${esc(String(v))}"`)
    .join("");
  const legend = o.series.map((s) => `<span><i class="${s.cls}"></i>${esc(s.label)}</span>`).join("");
  return (
    `<figure class="chart" id="${esc(o.id)}"${data}><figcaption>${esc(o.title)}</figcaption>` +
    `<svg class="run-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${parts.join("")}</svg>` +
    `<div class="legend">${legend}</div></figure>`
  );
}

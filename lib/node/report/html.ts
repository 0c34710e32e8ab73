import type { BenchmarkComparison } from "../compare/compare";
import { benchmarkKey } from "../compare/key";
import { changePoints, type ChangePoint } from "../compare/change-points";
import { htmlColoMatrix, type ColoMatrix } from "./colo-matrix";
import type { BenchmarkResult } from "../results/schema";
import { fmtMs, type MatrixRow } from "./matrix";
import { escapeHtml } from "./html-escape";

// A self-contained HTML report (no network, no external files): trend charts of p50/p95/p99 per
// benchmark over the history, drawn as SVG by a small inline script, and the latest run's matrix.
// When drawing is done the script sets <body data-charts-rendered="N">, which tests check.

export interface TrendPoint {
  t: number;
  p50: number;
  p95: number;
  p99: number;
  runId: string;
  /** The run's own report (perfdo report --run <runId> --format html), when written. */
  href?: string;
}

export interface TrendSeries {
  key: string;
  points: TrendPoint[];
  /** Change points of this benchmark's p95: the first run at the new level, and the shift. */
  changes?: Array<{ t: number; runId: string; shiftPct: number }>;
}

export function trendSeries(history: readonly BenchmarkResult[]): TrendSeries[] {
  const byKey = new Map<string, TrendPoint[]>();
  for (const r of history) {
    if (!r.latency) continue;
    const key = benchmarkKey(r);
    byKey.set(key, [...(byKey.get(key) ?? []), { t: Date.parse(r.timestamp), p50: r.latency.p50, p95: r.latency.p95, p99: r.latency.p99, runId: r.runId }]);
  }
  return [...byKey].map(([key, points]) => ({ key, points: points.sort((a, b) => a.t - b.t) })).sort((a, b) => a.key.localeCompare(b.key));
}

const esc = escapeHtml;
/** JSON inside <script>: nothing in the data can close the tag. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:3px 8px}td.n{text-align:right}
.fail{color:#b42318;font-weight:600}.warn{color:#9a6700;font-weight:600}.improved{color:#1a7f37}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:16px}
.chart{border:1px solid #d0d7de;border-radius:6px;padding:8px}.chart h3{font-size:13px;margin:0 0 4px;font-weight:600}
svg.trend text{font-size:10px;fill:#57606a}.change{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:4 3}.grid{stroke:#eaeef2}.series{fill:none;stroke-width:2}
.s-p50{stroke:#0969da}.s-p95{stroke:#bf8700}.s-p99{stroke:#cf222e}.d-p50{fill:#0969da}.d-p95{fill:#bf8700}.d-p99{fill:#cf222e}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.mark{display:inline-block;width:.75em;height:.75em;border-radius:50%;vertical-align:-.05em;margin-right:2px}.mark.met{background:#1a7f37}.mark.near{background:#bf8700}.mark.missed{background:#cf222e}
th small{display:block;font-weight:400;color:#57606a}
`;

// Tier marks drawn with CSS, not emoji: a machine without an emoji font (headless Chromium on a
// server) renders ✅ ⚠️ ❌ as empty boxes. The word beside each mark carries the meaning.
const MARKS: Array<[RegExp, string]> = [
  [/✅/g, '<span class="mark met" role="img" aria-label="met"></span>'],
  [/⚠️?/g, '<span class="mark near" role="img" aria-label="acceptable"></span>'],
  [/❌/g, '<span class="mark missed" role="img" aria-label="missed"></span>'],
];
export const htmlMarks = (text: string): string => MARKS.reduce((out, [emoji, mark]) => out.replace(emoji, mark), esc(text));

// Runs in the browser: plain ES2017, no dependencies.
const SCRIPT = `
(function () {
  var series = JSON.parse(document.getElementById("perfdo-data").textContent);
  var NS = "http://www.w3.org/2000/svg", W = 460, H = 220, L = 48, R = 12, T = 10, B = 34;
  function el(name, attrs, parent) { var e = document.createElementNS(NS, name); for (var k in attrs) e.setAttribute(k, attrs[k]); if (parent) parent.appendChild(e); return e; }
  function fmt(v) { return v < 10 ? v.toFixed(2) : v.toFixed(1); }
  var host = document.getElementById("charts"), drawn = 0;
  series.forEach(function (s) {
    var box = document.createElement("div"); box.className = "chart";
    var title = document.createElement("h3"); title.textContent = s.key; box.appendChild(title);
    var svg = el("svg", { "class": "trend", width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "p50, p95, p99 of " + s.key + " over time" }, box);
    var ts = s.points.map(function (p) { return p.t; });
    var t0 = Math.min.apply(null, ts), t1 = Math.max.apply(null, ts);
    var top = Math.max.apply(null, s.points.map(function (p) { return p.p99; })) * 1.1 || 1;
    function x(t) { return t1 === t0 ? L + (W - L - R) / 2 : L + (t - t0) / (t1 - t0) * (W - L - R); }
    function y(v) { return T + (1 - v / top) * (H - T - B); }
    for (var i = 0; i <= 4; i++) {
      var v = top * i / 4, yy = y(v);
      el("line", { "class": "grid", x1: L, x2: W - R, y1: yy, y2: yy }, svg);
      el("text", { x: L - 6, y: yy + 3, "text-anchor": "end" }, svg).textContent = fmt(v);
    }
    el("text", { x: 12, y: T + (H - T - B) / 2, transform: "rotate(-90 12 " + (T + (H - T - B) / 2) + ")", "text-anchor": "middle" }, svg).textContent = "ms";
    el("text", { x: L, y: H - 8 }, svg).textContent = new Date(t0).toISOString().slice(0, 16).replace("T", " ");
    if (t1 !== t0) el("text", { x: W - R, y: H - 8, "text-anchor": "end" }, svg).textContent = new Date(t1).toISOString().slice(0, 16).replace("T", " ");
    ["p50", "p95", "p99"].forEach(function (stat) {
      var d = s.points.map(function (p, i) { return (i ? "L" : "M") + x(p.t).toFixed(1) + " " + y(p[stat]).toFixed(1); }).join(" ");
      el("path", { "class": "series s-" + stat, d: d, "data-stat": stat }, svg);
      s.points.forEach(function (p) {
        // A point whose run's report was written links to it.
        var parent = p.href ? el("a", { href: p.href, "class": "run-link" }, svg) : svg;
        var dot = el("circle", { "class": "d-" + stat, cx: x(p.t).toFixed(1), cy: y(p[stat]).toFixed(1), r: 2.5 }, parent);
        el("title", {}, dot).textContent = stat + " " + fmt(p[stat]) + " ms, " + new Date(p.t).toISOString() + ", run " + p.runId;
      });
    });
    (s.changes || []).forEach(function (c) {
      var line = el("line", { "class": "change", x1: x(c.t), x2: x(c.t), y1: T, y2: H - B }, svg);
      el("title", {}, line).textContent = "change point: p95 " + (c.shiftPct >= 0 ? "+" : "") + c.shiftPct.toFixed(1) + " % from run " + c.runId;
    });
    host.appendChild(box); drawn++;
  });
  document.body.setAttribute("data-charts-rendered", String(drawn));
})();
`;

export function htmlReport(
  history: readonly BenchmarkResult[],
  latest: readonly MatrixRow[],
  comparisons: readonly BenchmarkComparison[] = [],
  generatedAt = new Date(),
  shifts: readonly ChangePoint[] = changePoints(history),
  readiness: readonly string[] = [],
  colos: readonly ColoMatrix[] = [],
  /** The claims table (claims/render.ts htmlClaims), the same as `perfdo claims` prints. */
  claims = "",
  /** runId → its run report (run-report-file.ts), for the runs whose capture is kept. */
  runLinks: ReadonlyMap<string, string> = new Map(),
): string {
  const series = trendSeries(history).map((s) => ({ ...s, points: s.points.map((p) => (runLinks.has(p.runId) ? { ...p, href: runLinks.get(p.runId) } : p)) })).map((s) => {
    const own = shifts.filter((c) => c.key === s.key).map((c) => ({ t: Date.parse(c.timestamp), runId: c.runId, shiftPct: c.shiftPct }));
    return own.length > 0 ? { ...s, changes: own } : s;
  });
  const notable = comparisons.flatMap((c) => c.outcomes.filter((o) => o.verdict !== "pass").map((o) => ({ c, o })));
  const rows = latest
    .map(
      (r) =>
        `<tr><td>${esc(r.scenario)} / ${esc(r.operation)}</td><td>${esc(r.target)}${r.targetKind === "local" ? " (local)" : ""}</td><td>${esc(r.profile)}</td>` +
        `<td class="n">${r.completed}</td><td class="n">${r.failed}</td><td class="n">${r.successPct.toFixed(1)} %</td><td class="n">${r.rps.toFixed(1)}</td>` +
        `<td class="n">${fmtMs(r.p50)}</td><td class="n">${fmtMs(r.p95)}</td><td class="n">${fmtMs(r.p99)}</td>` +
        `<td class="${r.thresholdsPassed ? "" : "fail"}">${r.thresholdsPassed ? "ok" : "FAIL"}${r.tier ? ` · ${htmlMarks(r.tier)}` : ""}</td><td class="${esc(r.verdict)}">${esc(r.verdict)}</td></tr>`,
    )
    .join("\n");
  const changes = notable
    .map(({ c, o }) => `<tr><td>${esc(c.key)}</td><td>${o.metric}</td><td class="n">${o.change === null ? "—" : `${(o.change * 100).toFixed(1)} %`}</td><td class="${o.verdict}">${o.verdict}</td></tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>perf.do benchmarks</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body data-charts-rendered="0">
<h1>perf.do benchmarks</h1>
<p>Generated ${esc(generatedAt.toISOString())} from ${history.length} result lines, ${series.length} benchmarks.</p>
<h2>Latest runs</h2>
<table><thead><tr><th>scenario / operation</th><th>target</th><th>profile</th><th>completed</th><th>failed</th><th>success</th><th>rps</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>own thresholds<small>this run vs its limits</small></th><th>vs history<small>compare verdict</small></th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="note"><b>own thresholds</b>: the run judged against its own limits (<code>thresholds/&lt;scenario&gt;.json</code>, what <code>--gate</code> enforces). <b>vs history</b>: the run compared with earlier comparable runs (<code>perfdo compare</code>); a run can breach its limits and still be no worse than before, or the reverse.</p>
${claims}
${readiness.length > 0 ? `<h2>Readiness</h2><ul>${readiness.map((l) => `<li>${htmlMarks(l)}</li>`).join("")}</ul>` : ""}
${notable.length > 0 ? `<h2>Changes against the baseline</h2><table><thead><tr><th>benchmark</th><th>metric</th><th>change</th><th>verdict</th></tr></thead><tbody>${changes}</tbody></table>` : ""}
${shifts.length > 0 ? `<h2>Change points in history (p95, E-divisive means)</h2><table><thead><tr><th>benchmark</th><th>first run at new level</th><th>commit</th><th>p95 before ms</th><th>p95 after ms</th><th>shift</th></tr></thead><tbody>${shifts.map((c) => `<tr><td>${esc(c.key)}</td><td>${esc(c.runId)}</td><td>${esc(c.gitCommit ?? "—")}</td><td class="n">${fmtMs(c.before)}</td><td class="n">${fmtMs(c.after)}</td><td class="n">${c.shiftPct >= 0 ? "+" : ""}${c.shiftPct.toFixed(1)} %</td></tr>`).join("")}</tbody></table>` : ""}
${colos.map(htmlColoMatrix).join("\n")}
<h2>Trends (p50, p95, p99 per run)</h2>
<div class="legend"><span><i style="background:#0969da"></i>p50</span><span><i style="background:#bf8700"></i>p95</span><span><i style="background:#cf222e"></i>p99</span><span><i style="background:#cf222e;height:10px;width:2px"></i>change point</span></div>
<noscript><p>The trend charts are drawn by an inline script; enable JavaScript to see them.</p></noscript>
<div id="charts" class="charts"></div>
<script type="application/json" id="perfdo-data">${scriptJson(series)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

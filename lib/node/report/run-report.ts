import type { LatencyAccumulator } from "../results/accumulator";
import { correctionOf } from "../results/omission";
import type { BenchmarkResult } from "../results/schema";
import { escapeHtml as esc } from "./html-escape";
import type { RunTimeline } from "./run-timeline";
import { fmtNumber, svgChart, type Series } from "./svg-chart";

// `perfdo report --run <runId> --format html`: one run, self-contained (no script, no network):
// - the run's result lines (what history holds: p50/p95/p99, corrected, thresholds);
// - per operation, p50/p95/p99 and requests per second over time, errors on the same axis;
// - active VUs and dropped iterations per second; errors and failed checks per second; bytes sent
//   and received, each request phase's mean and the iterations' mean duration per second (k6's web
//   dashboard shows them; so does this);
// - per operation, the percentile spectrum (HdrHistogram's plot: x = 1/(1−p) on a log axis, to
//   99.99 %), service time and, where the run omitted requests, corrected;
// - for a run that is a level of a sweep, latency against throughput over every level, the knee marked.
// Charts are per second whatever the run's size, so the file stays small (svg-chart.ts).

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin:16px 0 4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:3px 8px}td.n{text-align:right}
.fail{color:#b42318;font-weight:600}.warn{color:#9a6700;font-weight:600}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{color:#57606a}dd{margin:0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
figure.chart{border:1px solid #d0d7de;border-radius:6px;padding:8px;margin:0}figcaption{font-size:13px;font-weight:600;margin-bottom:4px}
svg.run-chart text{font-size:10px;fill:#57606a}.grid{stroke:#eaeef2}
.marker{stroke:#8250df;stroke-width:1.5;stroke-dasharray:4 3}text.marker-label{fill:#8250df;font-weight:600}
.c-p50{--c:#0969da}.c-p95{--c:#bf8700}.c-p99{--c:#cf222e}.c-rate{--c:#1a7f37}.c-err{--c:#cf222e}.c-vus{--c:#0969da}.c-pool{--c:#8c959f}
.c-drop{--c:#bf8700}.c-check{--c:#8250df}.c-service{--c:#0969da}.c-corrected{--c:#cf222e}
path.series{fill:none;stroke:var(--c);stroke-width:1.6}path.series.c-pool{stroke-dasharray:5 3}g.bars,g.dots{fill:var(--c)}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px;background:var(--c)}
`;

/** Percentiles of the spectrum: 8 per decade of 1/(1−p), from p0 to p99.99. */
export const SPECTRUM = Array.from({ length: 33 }, (_, i) => ({ x: i / 8, p: 100 * (1 - 10 ** (-i / 8)) }));
const SPECTRUM_TICKS: Array<[number, string]> = [
  [0, "0%"],
  [1, "90%"],
  [2, "99%"],
  [3, "99.9%"],
  [4, "99.99%"],
];

const clock = (startMs: number) => (s: number): string => new Date(startMs + s * 1000).toISOString().slice(11, 19);

function spectrum(acc: LatencyAccumulator): Array<[number, number | null]> {
  return SPECTRUM.map(({ x, p }) => [x, acc.percentile(p)]);
}

/** The level of a sweep a run belongs to, with every level's lines (history), for the sweep chart. */
export interface SweepContext {
  id: string;
  kind: "rate" | "vus";
  levels: Array<{ level: number; runId: string; achievedRps: number; p50: number | null; p95: number | null; p99: number | null }>;
  /** The knee: the highest level that met the limits (find-limit's result), or by the rule in docs/results.md. */
  knee: number | null;
  kneeRule: string;
}

/**
 * The knee of a plain sweep: the highest level before which nothing broke: p95 within twice the
 * lowest level's, the rate achieved (no drops), and errors under 1 %.
 */
export function sweepKnee(levels: ReadonlyArray<{ level: number; lines: readonly BenchmarkResult[] }>): number | null {
  const sorted = [...levels].sort((a, b) => a.level - b.level);
  const p95 = (lines: readonly BenchmarkResult[]): number => Math.max(0, ...lines.map((l) => l.latency?.p95 ?? Infinity));
  const base = sorted[0] ? p95(sorted[0].lines) : Infinity;
  let knee: number | null = null;
  for (const { level, lines } of sorted) {
    const requests = lines.reduce((n, l) => n + l.iterations, 0);
    const errors = lines.reduce((n, l) => n + l.errors, 0);
    const ok = p95(lines) <= base * 2 && (lines[0]?.droppedIterations ?? 0) === 0 && (requests === 0 || errors / requests <= 0.01);
    if (!ok) break;
    knee = level;
  }
  return knee;
}

function summaryTable(lines: readonly BenchmarkResult[]): string {
  const rows = lines
    .map((r) => {
      const c = r.corrected && "model" in r.corrected ? r.corrected : null;
      const failed = r.thresholds.filter((t) => !t.ok).map((t) => `${t.metric} ${t.threshold}`);
      return (
        `<tr data-operation="${esc(r.name)}"><td>${esc(r.name)}</td><td class="n">${r.iterations}</td><td class="n">${r.errors}</td><td class="n">${r.rps.toFixed(1)}</td>` +
        `<td class="n" data-p50="${r.latency?.p50 ?? ""}">${r.latency ? fmtNumber(r.latency.p50) : "—"}</td><td class="n" data-p95="${r.latency?.p95 ?? ""}">${r.latency ? fmtNumber(r.latency.p95) : "—"}</td>` +
        `<td class="n" data-p99="${r.latency?.p99 ?? ""}">${r.latency ? fmtNumber(r.latency.p99) : "—"}</td>` +
        `<td class="n">${c ? `${fmtNumber(c.p95)} / ${fmtNumber(c.p99)}${c.omitted > 0 ? ` (${c.omitted} back-filled)` : ""}` : "n/a"}</td>` +
        `<td class="${failed.length > 0 ? "fail" : ""}">${failed.length > 0 ? `FAIL ${esc(failed.join(", "))}` : `ok (${r.thresholds.length})`}</td></tr>`
      );
    })
    .join("");
  return `<table class="summary"><thead><tr><th>operation</th><th>requests</th><th>errors</th><th>rps</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>corrected p95 / p99 ms</th><th>thresholds</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function facts(lines: readonly BenchmarkResult[], t: RunTimeline): string {
  const r = lines[0];
  const items: Array<[string, string]> = [["run", t.runId]];
  if (r) {
    items.push(["scenario", `${r.scenario} (profile ${r.profile})`], ["target", `${r.target} (${r.targetKind})`], ["started", r.timestamp], ["duration", `${r.durationSec.toFixed(1)} s`]);
    const p = r.provenance;
    items.push(["commit", `${p.gitCommit}${p.gitDirty ? " (uncommitted changes)" : ""}`]);
    items.push(["k6", `${p.k6Version} (${p.k6Build})`]);
    if (p.generators.length > 0) items.push(["load from", [...new Set(p.generators.map((g) => `${g.os} ${g.cores} cores ${g.cpuModel}${g.loadZone ? ` @ ${g.loadZone}` : ""}${g.pod ? ` pod ${g.pod}` : ""}`))].join("; ")]);
    items.push(["reached", `${p.addresses.join(", ") || "no address recorded"}${p.reachedLoopback ? " (loopback)" : ""}${p.reachedPrivate ? " (private)" : ""}`]);
    if (p.rehearsal) items.push(["rehearsal", p.rehearsalReason ?? "yes"]);
    if (r.vus) items.push(["VU pool", `${r.vus.preAllocated} pre-allocated, ${r.vus.max} max (${r.vus.sizedBy})`]);
    if (r.offeredRate !== undefined) items.push(["iterations/s", `offered ${r.offeredRate.toFixed(1)}, achieved ${(r.achievedRate ?? 0).toFixed(1)}, dropped ${r.droppedIterations ?? 0}`]);
    if (r.resources?.k6) items.push(["k6 CPU", `${r.resources.k6.cpuMean.toFixed(0)} % mean / ${r.resources.k6.cpuPeak.toFixed(0)} % peak${r.generatorSaturated ? " — GENERATOR SATURATED" : ""}`]);
    if (r.interrupted) items.push(["interrupted", "yes: stopped by a signal"]);
  } else items.push(["history", "no result lines of this run (reported from its capture only)"]);
  return `<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd${v.includes("SATURATED") ? ' class="fail"' : ""}>${esc(v)}</dd>`).join("")}</dl>`;
}

export function runReportHtml(t: RunTimeline, lines: readonly BenchmarkResult[], sweep: SweepContext | null, generatedAt = new Date()): string {
  const at = clock(t.startMs);
  const axis = { xLabel: `time (UTC), from ${new Date(t.startMs).toISOString()}${t.step > 1 ? `; one point per ${t.step} s` : ""}`, xMin: 0, xMax: Math.max(1, t.seconds - 1), fmtX: at, barX: t.step };
  // Points are `t.step` seconds apart (1 up to 10 minutes of run); counts are shown per second.
  const at0 = (i: number): number => i * t.step;
  const perSecond = (values: ReadonlyArray<number | null>, rate = false): Array<[number, number | null]> => values.map((v, i) => [at0(i), v === null || !rate ? v : v / t.step]);
  const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
  const openModel = lines.some((l) => l.corrected !== undefined && "model" in l.corrected);

  const operationCharts = t.operations.flatMap((op) => {
    const requests = sum(op.perSecond.map((s) => s.requests));
    const errors = sum(op.perSecond.map((s) => s.errors));
    const latency = svgChart({
      ...axis,
      id: `latency-${op.name}`,
      title: `${op.name}: latency per ${t.step === 1 ? "second" : `${t.step} s`}`,
      yLabel: "ms",
      series: (["p50", "p95", "p99"] as const).map((k) => ({ label: k, cls: `c-${k}`, points: op.perSecond.map((s): [number, number | null] => [s.s, s[k]]) })),
      data: { kind: "latency", operation: op.name, seconds: op.perSecond.length },
    });
    const rate = svgChart({
      ...axis,
      id: `rate-${op.name}`,
      title: `${op.name}: requests and errors per second`,
      yLabel: "per second",
      series: [
        { label: "requests/s", cls: "c-rate", points: op.perSecond.map((s): [number, number] => [s.s, s.requests / t.step]) },
        { label: "errors/s", cls: "c-err", bars: true, points: op.perSecond.map((s): [number, number] => [s.s, s.errors / t.step]) },
      ],
      data: { kind: "rate", operation: op.name, requests, errors },
    });
    const raw = [...t.raw.operations.values()].filter((o) => o.name === op.name);
    const series: Series[] = [];
    const measured = raw[0];
    let p99 = "";
    if (measured && measured.latency.count > 0) {
      series.push({ label: "service time", cls: "c-service", points: spectrum(measured.latency) });
      p99 = String(measured.latency.percentile(99));
      const correction = correctionOf({ ...t.raw, openModel }, measured);
      if (correction.applies && correction.omitted > 0) series.push({ label: `corrected (${correction.omitted} omitted)`, cls: "c-corrected", points: spectrum(correction.latency) });
    }
    const spectrumChart =
      series.length === 0
        ? ""
        : svgChart({
            id: `spectrum-${op.name}`,
            title: `${op.name}: percentile spectrum`,
            yLabel: "ms",
            xLabel: "percentile (log scale of 1/(1−p))",
            xMin: 0,
            xMax: 4,
            xTicks: SPECTRUM_TICKS,
            series,
            data: { kind: "spectrum", operation: op.name, p99 },
          });
    return [`<h3>${esc(op.name)}</h3><div class="charts">${latency}${rate}${spectrumChart}</div>`];
  });

  const vus = svgChart({
    ...axis,
    id: "vus",
    title: "VUs (busy, and the pool) and dropped iterations per second",
    yLabel: "VUs · iterations",
    series: [
      { label: "active VUs", cls: "c-vus", points: perSecond(t.vus) },
      { label: "VU pool", cls: "c-pool", points: perSecond(t.vusMax) },
      { label: "dropped iterations/s", cls: "c-drop", bars: true, points: perSecond(t.dropped, true) },
    ],
    data: { kind: "vus", dropped: sum(t.dropped), "vus-max": Math.max(0, ...t.vus.map((v) => v ?? 0)), "pool-max": Math.max(0, ...t.vusMax.map((v) => v ?? 0)) },
  });
  const failures = svgChart({
    ...axis,
    id: "failures",
    title: "failed requests and failed checks per second",
    yLabel: "per second",
    series: [
      { label: "failed requests/s", cls: "c-err", bars: true, points: perSecond(t.errors, true) },
      { label: "failed checks/s", cls: "c-check", points: perSecond(t.failedChecks, true) },
    ],
    data: { kind: "failures", errors: sum(t.errors), "failed-checks": sum(t.failedChecks) },
  });
  const transfer = svgChart({
    ...axis,
    id: "transfer",
    title: "data sent and received per second",
    yLabel: "kB/s",
    series: [
      { label: "received kB/s", cls: "c-rate", points: perSecond(t.bytesReceived.map((b) => b / 1000), true) },
      { label: "sent kB/s", cls: "c-vus", points: perSecond(t.bytesSent.map((b) => b / 1000), true) },
    ],
    data: { kind: "transfer", sent: sum(t.bytesSent), received: sum(t.bytesReceived) },
  });
  // k6's web dashboard's "timings": where each request's time went, and the iterations' duration.
  const phases: Array<[string, string, string]> = [
    ["http_req_blocked", "blocked", "c-pool"],
    ["http_req_connecting", "connecting", "c-drop"],
    ["http_req_tls_handshaking", "TLS", "c-check"],
    ["http_req_sending", "sending", "c-rate"],
    ["http_req_waiting", "waiting", "c-p99"],
    ["http_req_receiving", "receiving", "c-vus"],
  ];
  const hasTimings = Object.values(t.means).some((values) => values.some((v) => v !== null));
  const timings = hasTimings
    ? svgChart({
        ...axis,
        id: "phases",
        title: "request phases, mean over all requests per second",
        yLabel: "ms",
        series: phases.map(([metric, label, cls]) => ({ label, cls, points: perSecond(t.means[metric] ?? []) })),
        data: { kind: "phases" },
      }) +
      svgChart({
        ...axis,
        id: "iterations",
        title: "iteration duration, mean per second",
        yLabel: "ms",
        series: [{ label: "iteration", cls: "c-p95", points: perSecond(t.means.iteration_duration ?? []) }],
        data: { kind: "iterations" },
      })
    : "";
  const checkNames = Object.entries(t.failedCheckNames).sort((a, b) => b[1] - a[1]);

  let sweepSection = "";
  if (sweep && sweep.levels.length > 0) {
    const levels = [...sweep.levels].sort((a, b) => a.achievedRps - b.achievedRps);
    const knee = sweep.knee === null ? undefined : sweep.levels.find((l) => l.level === sweep.knee);
    const chart = svgChart({
      id: "sweep",
      title: `sweep ${sweep.id}: latency of the slowest operation against throughput`,
      yLabel: "ms",
      xLabel: "requests/s achieved",
      xMin: 0,
      series: (["p50", "p95", "p99"] as const).map((k) => ({ label: k, cls: `c-${k}`, points: levels.map((l): [number, number | null] => [l.achievedRps, l[k]]) })),
      markers: knee ? [{ x: knee.achievedRps, label: `knee: ${sweep.kind === "rate" ? `${knee.level}/s` : `${knee.level} VUs`}` }] : [],
      data: { kind: "sweep", levels: levels.length, knee: sweep.knee ?? "" },
    });
    const rows = levels
      .map((l) => `<tr${l.runId === t.runId ? ' class="warn"' : ""}><td class="n">${l.level}</td><td class="n">${l.achievedRps.toFixed(1)}</td><td class="n">${l.p95 === null ? "—" : fmtNumber(l.p95)}</td><td>${esc(l.runId)}${l.runId === t.runId ? " (this run)" : ""}</td></tr>`)
      .join("");
    sweepSection = `<h2>Sweep</h2><p>This run is one level of a sweep over ${sweep.kind === "rate" ? "arrival rate" : "VUs"}. Knee: ${sweep.knee === null ? "no level met the rule" : esc(String(sweep.knee))} (${esc(sweep.kneeRule)}).</p><div class="charts">${chart}</div><table><thead><tr><th>level</th><th>achieved rps</th><th>slowest p95 ms</th><th>run</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>perf.do run ${esc(t.runId)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body data-run="${esc(t.runId)}" data-charts="${3 * t.operations.length + 3 + (timings ? 2 : 0) + (sweepSection ? 1 : 0)}">
<h1>perf.do run ${esc(lines[0]?.scenario ?? t.runId)}</h1>
<p>Generated ${esc(generatedAt.toISOString())} from the run's raw capture (${t.raw.lines.toLocaleString("en-US")} lines, ${t.seconds} s).</p>
${facts(lines, t)}
<h2>Result lines</h2>
${summaryTable(lines)}
<p>Corrected: latency from each request's intended start, dropped iterations back-filled (docs/results.md, "Corrected latency"); n/a for a closed-model run.</p>
<h2>The run over time</h2>
<div class="charts">${vus}${failures}${transfer}${timings}</div>
${checkNames.length > 0 ? `<table class="failed-checks"><thead><tr><th>failed check</th><th>failures</th></tr></thead><tbody>${checkNames.map(([n, c]) => `<tr><td>${esc(n)}</td><td class="n">${c}</td></tr>`).join("")}</tbody></table>` : ""}
<h2>Operations</h2>
${operationCharts.join("\n")}
${sweepSection}
</body></html>
`;
}

import Table from "cli-table3";
import { escapeHtml } from "../report/html-escape";
import type { ClaimRow } from "./judge";
import { MIN_RUNS, measuredText, valueText, verdictText } from "./judge";
import type { Ledger } from "./ledger";

// The claims table, the same in every report: claim | expected | measured | verdict | runs | evidence.
// `measured` is the median of the runs behind it, with their range; `runs` how many (a verdict needs
// MIN_RUNS); `evidence` whether they reached a deployment or the local Worker.

const unitOf = (ledger: Ledger, id: string): string => ledger.claims.find((c) => c.id === id)?.expected.unit ?? "";
const evidenceText = (r: ClaimRow): string => {
  if (!r.evidence) return "—";
  const when = r.evidenceRuns.length > 0 ? `${(r.evidenceRuns.at(-1) as { timestamp: string }).timestamp.slice(0, 10)} … ${r.timestamp?.slice(0, 10) ?? ""}` : "";
  return `${r.evidence}, ${when}`;
};
const cells = (ledger: Ledger, r: ClaimRow): string[] => [r.claim, r.expected, measuredText(r, unitOf(ledger, r.id)), verdictText(r), String(r.runs), evidenceText(r)];
export const CLAIM_HEADERS = ["claim", "expected", "measured (median, range)", "verdict", "runs", "evidence"];

const footnotes = (rows: readonly ClaimRow[]): ClaimRow[] => rows.filter((r) => r.verdict === "not measured" || r.verdict === "not measurable here" || r.verdict === "indicative");

export function consoleClaims(ledger: Ledger, rows: readonly ClaimRow[]): string {
  const table = new Table({ head: CLAIM_HEADERS, style: { head: [], border: [] } });
  for (const r of rows) table.push(cells(ledger, r));
  const notes = footnotes(rows).map((r) => `  ${r.claim}: ${r.note}`);
  return [table.toString(), ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

/**
 * A page to hand a customer: the table, then for every claim its source, the runs behind it with
 * where each came from (commit, k6, the load's machine, the addresses it reached), and the one
 * command that reproduces it.
 */
export function markdownClaims(ledger: Ledger, rows: readonly ClaimRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out = [
    "## Performance claims",
    "",
    `Each claim is judged by the median of the newest runs that measured it (at most 10). A verdict needs ${MIN_RUNS} runs; fewer is indicative. Runs that were interrupted, had a saturated load generator, or were rehearsals do not count. A claim about a deployment counts only runs that reached public addresses.`,
    "",
    `| ${CLAIM_HEADERS.join(" | ")} |`,
    "|---|---|--:|---|--:|---|",
    ...rows.map((r) => `| ${cells(ledger, r).map(esc).join(" | ")} |`),
    "",
  ];
  for (const r of rows) {
    const unit = unitOf(ledger, r.id);
    out.push(`### ${r.claim}`, "", `- Claimed: ${r.expected} (source: ${r.source})`, `- Verdict: ${verdictText(r)}: ${r.note}`);
    if (r.reproduce) out.push(`- Reproduce: \`${r.reproduce}\``);
    if (r.evidenceRuns.length > 0) {
      out.push("", "| run | value | commit | k6 | load from | reached |", "|---|--:|---|---|---|---|");
      for (const e of r.evidenceRuns) {
        const commit = `${e.gitCommit}${e.gitDirty ? " (uncommitted changes)" : ""}`;
        out.push(`| ${esc(`${e.runId} (${e.targetKind} ${e.target})`)} | ${valueText(e.value, unit)} | ${esc(commit)} | ${esc(e.k6)} | ${esc(e.generators.join("; ") || "not recorded")} | ${esc(e.addresses.join(", ") || "not recorded")} |`);
      }
    }
    out.push("");
  }
  return out.join("\n");
}

export function htmlClaims(ledger: Ledger, rows: readonly ClaimRow[]): string {
  const tr = (r: ClaimRow) => `<tr class="claim ${r.verdict.replace(/ /g, "-")}" title="${escapeHtml(r.note)}">${cells(ledger, r).map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
  return `<section id="claims"><h2>Performance claims</h2><table><thead><tr>${CLAIM_HEADERS.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.map(tr).join("")}</tbody></table></section>`;
}

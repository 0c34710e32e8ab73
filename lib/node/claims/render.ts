import Table from "cli-table3";
import { escapeHtml } from "../report/html-escape";
import type { ClaimRow } from "./judge";
import { measuredText } from "./judge";
import type { Ledger } from "./ledger";

// The claims table, the same in every report: claim | expected | measured | verdict | run.

const unitOf = (ledger: Ledger, id: string): string => ledger.claims.find((c) => c.id === id)?.expected.unit ?? "";
const runText = (r: ClaimRow): string => (r.runId ? `${r.runId} (${r.targetKind})` : "—");
// A run whose generator was saturated measured k6 as much as the target: the verdict says so.
const verdictText = (r: ClaimRow): string => (r.generatorSaturated ? `${r.verdict} (generator saturated)` : r.verdict);
const cells = (ledger: Ledger, r: ClaimRow): string[] => [r.claim, r.expected, measuredText(r, unitOf(ledger, r.id)), verdictText(r), runText(r)];
export const CLAIM_HEADERS = ["claim", "expected", "measured", "verdict", "run"];

export function consoleClaims(ledger: Ledger, rows: readonly ClaimRow[]): string {
  const table = new Table({ head: CLAIM_HEADERS, style: { head: [], border: [] } });
  for (const r of rows) table.push(cells(ledger, r));
  const notes = rows.filter((r) => r.verdict === "not measured" || r.verdict === "not measurable here").map((r) => `  ${r.claim}: ${r.note}`);
  return [table.toString(), ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

export function markdownClaims(ledger: Ledger, rows: readonly ClaimRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    "## Performance claims",
    "",
    `| ${CLAIM_HEADERS.join(" | ")} |`,
    "|---|---|--:|---|---|",
    ...rows.map((r) => `| ${cells(ledger, r).map(esc).join(" | ")} |`),
    "",
    ...rows.filter((r) => r.verdict === "not measured" || r.verdict === "not measurable here").map((r) => `- ${esc(r.claim)}: ${esc(r.note)}`),
  ].join("\n");
}

export function htmlClaims(ledger: Ledger, rows: readonly ClaimRow[]): string {
  const tr = (r: ClaimRow) => `<tr class="claim ${r.verdict.replace(/ /g, "-")}" title="${escapeHtml(r.note)}">${cells(ledger, r).map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
  return `<section id="claims"><h2>Performance claims</h2><table><thead><tr>${CLAIM_HEADERS.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.map(tr).join("")}</tbody></table></section>`;
}

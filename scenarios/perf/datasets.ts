// The standards datasets (contract §10): NAICS (real, 2017), UNSPSC and O*NET (generated stand-ins
// with the real code structures), from fixtures/standards/*.csv. Each file is parsed with papaparse
// once per k6 process into a SharedArray (lib/k6/datasets.ts): however many VUs, one copy of the rows.
// setup() seeds naics., unspsc., onet. and standards. through their import endpoints (skipped when a
// namespace already holds them), and loads NAICS and UNSPSC as Iceberg tables on R2 (iceberg.), which
// the `GET /naics/:code` and `/unspsc/:code` lookups read; iterations then query them: point lookups
// by code (SQL on the object's SQLite, and the Iceberg table), filtered lists,
// and joins across datasets on standards., each recorded with `datasetSize` (rows of the table
// queried). Every answer is checked against the CSV row it should return.

import { check } from "k6";
import exec from "k6/execution";
import { datasetsApi, type Table } from "../../lib/k6/api/datasets.api";
import { icebergApi } from "../../lib/k6/api/iceberg.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { csvRows, type Row } from "../../lib/k6/datasets";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 10, vus: 5 }, extra: { setupTimeout: "10m" } });

// Relative to the built script, build/perf/datasets.js.
const DIR = "../../fixtures/standards";
const naicsRows = csvRows("naics", `${DIR}/naics.csv`);
const unspscRows = csvRows("unspsc", `${DIR}/unspsc.csv`);
const occupationRows = csvRows("onet-occupations", `${DIR}/onet-occupations.csv`);
const taskRows = csvRows("onet-tasks", `${DIR}/onet-tasks.csv`);
const toolRows = csvRows("onet-tools", `${DIR}/onet-tools.csv`);

const naics = datasetsApi(namespaceClient(target, "naics"));
const unspsc = datasetsApi(namespaceClient(target, "unspsc"));
const onet = datasetsApi(namespaceClient(target, "onet"));
const standards = datasetsApi(namespaceClient(target, "standards"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;
const BATCH = 1000;

function seed(api: ReturnType<typeof datasetsApi>, tables: Array<[Table, { length: number; [i: number]: Row }]>): void {
  const have = body<Record<string, number>>(api.stats());
  for (const [table, rows] of tables) {
    if (have[table] === rows.length) continue; // already there (a deployment seeded before)
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch: Row[] = [];
      for (let j = i; j < Math.min(i + BATCH, rows.length); j++) batch.push(rows[j] as Row);
      api.importBatch(table, batch);
    }
  }
}

export function setup(): void {
  seed(naics, [["industries", naicsRows]]);
  seed(unspsc, [["commodities", unspscRows]]);
  seed(onet, [["occupations", occupationRows], ["tasks", taskRows], ["tools", toolRows]]);
  const iceberg = icebergApi(namespaceClient(target, "iceberg"));
  iceberg.load("naics", naicsRows);
  iceberg.load("unspsc", unspscRows);
  seed(standards, [["industries", naicsRows], ["commodities", unspscRows], ["occupations", occupationRows], ["tasks", taskRows], ["tools", toolRows]]);
  const counts = body<Record<string, number>>(standards.stats());
  check(counts, { "datasets: standards. holds every row of every dataset": (c) => c.industries === naicsRows.length && c.commodities === unspscRows.length && c.tools === toolRows.length });
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  const industry = naicsRows[(n * 7919) % naicsRows.length] as Row;
  const commodity = unspscRows[(n * 104_729) % unspscRows.length] as Row;
  const occupation = occupationRows[(n * 31) % occupationRows.length] as Row;
  const tool = toolRows[(n * 7) % toolRows.length] as Row;
  const size = (rows: { length: number }) => ({ datasetSize: rows.length });

  const byCode = body<{ rows: Row[] }>(naics.sql("naics.lookup", "SELECT * FROM industries WHERE code = ?", [industry.code], size(naicsRows)));
  check(byCode, { "naics: a code returns its title": (r) => r.rows?.[0]?.title === industry.title });
  const fromIceberg = body<{ row?: Row }>(naics.naics(industry.code as string, size(naicsRows)));
  check(fromIceberg, { "naics: the Iceberg table answers the code's row": (r) => r.row?.title === industry.title });
  const c = body<{ rows: Row[] }>(unspsc.sql("unspsc.lookup", "SELECT * FROM commodities WHERE code = ?", [commodity.code], size(unspscRows)));
  check(c, { "unspsc: a code returns its title": (r) => r.rows?.[0]?.title === commodity.title });
  const commodityRow = body<{ row?: Row }>(unspsc.unspsc(commodity.code as string, size(unspscRows)));
  check(commodityRow, { "unspsc: the Iceberg table answers the code's row": (r) => r.row?.title === commodity.title });
  const listed = body<{ rows: Row[] }>(unspsc.sql("unspsc.class-list", "SELECT code, title FROM commodities WHERE class = ? ORDER BY code", [commodity.class], size(unspscRows)));
  check(listed, { "unspsc: a class lists its commodities": (r) => (r.rows ?? []).length === 10 && (r.rows ?? []).some((x) => x.code === commodity.code) });

  const tasks = body<{ tasks: Array<{ occupation: string; importance: number }> }>(onet.tasks(occupation.code as string, 3, size(taskRows)));
  check(tasks, { "onet: tasks filter by occupation and importance": (t) => (t.tasks ?? []).every((x) => x.occupation === occupation.code && x.importance >= 3) });
  const tools = body<{ tools: Array<{ id: string }> }>(onet.tools("unspsc", tool.unspsc as string, size(toolRows)));
  check(tools, { "onet: tools by UNSPSC code include the tool": (t) => (t.tools ?? []).some((x) => x.id === tool.id) });
  onet.tools("occupation", occupation.code as string, size(toolRows));
  onet.related(occupation.code as string, size(toolRows));

  const joined = body<{ rows: Array<{ tool: string; commodity: string }> }>(
    standards.crossQuery("standards.tools-commodities", "SELECT t.tool, c.title AS commodity, c.segment_title FROM tools t JOIN commodities c ON c.code = t.unspsc WHERE t.occupation = ? ORDER BY t.id LIMIT 50", [tool.occupation], size(toolRows)),
  );
  check(joined, { "standards: tools join their UNSPSC commodities": (j) => (j.rows ?? []).length > 0 && (j.rows ?? []).every((r) => typeof r.commodity === "string") });
  standards.crossQuery(
    "standards.occupation-profile",
    "SELECT o.title, COUNT(DISTINCT t.id) AS tasks, COUNT(DISTINCT l.id) AS tools FROM occupations o LEFT JOIN tasks t ON t.occupation = o.code LEFT JOIN tools l ON l.occupation = o.code WHERE o.code = ? GROUP BY o.code",
    [occupation.code],
    size(occupationRows),
  );
}

// Wikidata under load (wiki.): setup() loads ENTITIES generated items in Wikibase's JSON into one
// object, `wiki-perf` (item i an instance of one of CLASSES classes, linked to the next item by P361
// "part of", labelled "Entity <i>"), and the classes themselves; iterations read it as a Wikidata
// client does: an entity, its out-edges and in-edges, the statements of a class (predicate and
// object), and a label prefix. Each operation carries `datasetSize` (entities). The items are
// generated (Wikibase's shape, made-up ids from Q1000), so every answer is checked.

import { check } from "k6";
import exec from "k6/execution";
import { wikidataApi } from "../../lib/k6/api/wikidata.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 10, vus: 5 }, extra: { setupTimeout: "5m" } });

const ENTITIES = 3_000;
const CLASSES = 30;
const wd = wikidataApi(namespaceClient(target, "wiki-perf"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;
const qid = (i: number): string => `Q${1000 + i}`;
const classId = (c: number): string => `Q${100 + c}`;
const claim = (p: string, id: string) => ({ mainsnak: { snaktype: "value", property: p, datavalue: { value: { "entity-type": "item", id }, type: "wikibase-entityid" } }, rank: "normal" });
const item = (i: number) => ({
  id: qid(i), type: "item", labels: { en: { language: "en", value: `Entity ${i}` } },
  claims: { P31: [claim("P31", classId(i % CLASSES))], P361: [claim("P361", qid((i + 1) % ENTITIES))] },
});

export function setup(): void {
  if (wd.exists(qid(ENTITIES - 1))) return; // already loaded
  wd.ingest(Array.from({ length: CLASSES }, (_, c) => ({ id: classId(c), type: "item", labels: { en: { language: "en", value: `Class ${c}` } }, claims: {} })));
  for (let start = 0; start < ENTITIES; start += 1_000) wd.ingest(Array.from({ length: 1_000 }, (_, k) => item(start + k)));
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  const i = (n * 7_919) % ENTITIES;
  const meta = { datasetSize: ENTITIES };
  check(body<{ id: string }>(wd.entity(qid(i), meta)), { "wiki: an entity by id": (r) => r.id === qid(i) });
  const out = body<Array<{ predicate: string; object: string }>>(wd.edgesFrom(qid(i), meta));
  check(out, { "wiki: an entity's out-edges are its two claims": (o) => Array.isArray(o) && o.map((e) => `${e.predicate}>${e.object}`).sort().join() === `P31>${classId(i % CLASSES)},P361>${qid((i + 1) % ENTITIES)}` });
  const into = body<Array<{ subject: string }>>(wd.edgesTo(qid(i), meta));
  check(into, { "wiki: an entity's in-edge is the one item before it": (o) => Array.isArray(o) && o.length === 1 && o[0]?.subject === qid((i + ENTITIES - 1) % ENTITIES) });
  const members = body<Array<{ subject: string }>>(wd.statements(`predicate=P31&object=${classId(i % CLASSES)}&limit=1000`, meta));
  check(members, { "wiki: a class's instances (100 each)": (m) => Array.isArray(m) && m.length === ENTITIES / CLASSES });
  const found = body<Array<{ id: string }>>(wd.labelSearch(`Entity ${i}`, meta));
  check(found, { "wiki: a label prefix finds its entity first": (f) => Array.isArray(f) && f.some((e) => e.id === qid(i)) });
}

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { z } from "zod";

// Reads k6's raw JSON output (`--out json=file[.gz]`) in one streaming pass and keeps, per
// operation, what results need: successful durations, failure count, the tags that describe it and
// the colos that served it. Only two metrics matter, so other lines are skipped before parsing.

const DURATION_PREFIX = '{"metric":"http_req_duration","type":"Point"';
const COLO_PREFIX = '{"metric":"perfdo_colo_served","type":"Point"';

const PointSchema = z.object({
  metric: z.string(),
  type: z.literal("Point"),
  data: z.object({
    time: z.string(),
    value: z.number(),
    tags: z.record(z.string(), z.string()).default({}),
  }),
});

export interface OperationSamples {
  name: string;
  host: string | null;
  /** Durations (ms) of responses k6 counted as expected (2xx unless the scenario said otherwise). */
  durations: number[];
  failures: number;
  /** Tags of the operation's first sample: cold_start, dataset_size, shard_count, colo. */
  tags: Record<string, string>;
  colos: Record<string, number>;
}

export interface RawRun {
  operations: Map<string, OperationSamples>;
  /** First and last sample time (ms since epoch) over every operation. */
  firstSampleMs: number | null;
  lastSampleMs: number | null;
  lines: number;
}

function operation(run: RawRun, tags: Record<string, string>): OperationSamples {
  const name = tags.name ?? tags.url ?? "unnamed";
  let op = run.operations.get(name);
  if (!op) {
    op = { name, host: tags.host ?? null, durations: [], failures: 0, tags: { ...tags }, colos: {} };
    run.operations.set(name, op);
  }
  return op;
}

/** Applies one NDJSON line to the run. Exported for tests and for readers of other sources. */
export function applyLine(run: RawRun, line: string, where: () => string): void {
  run.lines++;
  const isDuration = line.startsWith(DURATION_PREFIX);
  if (!isDuration && !line.startsWith(COLO_PREFIX)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`${where()}: not a JSON line`);
  }
  const point = PointSchema.safeParse(parsed);
  if (!point.success) throw new Error(`${where()}: not a k6 metric point (${point.error.issues[0]?.message ?? "invalid"})`);
  const { tags, value, time } = point.data.data;
  const op = operation(run, tags);
  if (isDuration) {
    if (tags.expected_response === "false") op.failures++;
    else op.durations.push(value);
    const t = Date.parse(time);
    if (run.firstSampleMs === null || t < run.firstSampleMs) run.firstSampleMs = t;
    if (run.lastSampleMs === null || t > run.lastSampleMs) run.lastSampleMs = t;
  } else if (tags.colo) {
    op.colos[tags.colo] = (op.colos[tags.colo] ?? 0) + value;
  }
}

export function emptyRawRun(): RawRun {
  return { operations: new Map(), firstSampleMs: null, lastSampleMs: null, lines: 0 };
}

export async function readRawOutput(path: string): Promise<RawRun> {
  const run = emptyRawRun();
  const file = createReadStream(path);
  const input = path.endsWith(".gz") ? file.pipe(createGunzip()) : file;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) applyLine(run, line, () => `${path}:${run.lines}`);
  return run;
}

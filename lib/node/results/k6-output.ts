import { z } from "zod";
import { operationKey, TimelineRecorder } from "./omission";
import { readPerfdoOutput, type SampleObserver } from "./perfdo-output";
import { forEachLine, rawChunks } from "./raw-lines";
import { addressText } from "./provenance";
import { emptyRawRun, mergeRawRuns, operation, type RawRun, type Tags } from "./raw-run";

export { emptyRawRun, mergeRawRuns, type OperationSamples, type RawRun } from "./raw-run";
export { forEachLine, rawChunks } from "./raw-lines";

// Reads k6's raw JSON output (`--out json=file[.gz]`) in one streaming pass, in bounded memory.
// Of k6's ~12 lines per request only http_req_duration points (and checks, our colo counter, and
// perfdo_latency: measured latencies that are not one request, such as replication lag, and
// perfdo_failure, those that failed; iterations
// and dropped_iterations) matter, so lines are matched on raw bytes and the rest are never decoded. Matched lines are taken
// apart by position (k6 writes {"metric","type","data":{"time","value","tags"}} in that order);
// the tags object repeats across samples and is parsed once per distinct text.

const DURATION_PREFIX = Buffer.from('{"metric":"http_req_duration","type":"Point","data":{"time":"');
const CHECKS_PREFIX = Buffer.from('{"metric":"checks","type":"Point","data":{"time":"');
const COLO_PREFIX = Buffer.from('{"metric":"perfdo_colo_served","type":"Point"');
const LATENCY_PREFIX = Buffer.from('{"metric":"perfdo_latency","type":"Point","data":{"time":"');
const ITERATIONS_PREFIX = Buffer.from('{"metric":"iterations","type":"Point"');
const DROPPED_PREFIX = Buffer.from('{"metric":"dropped_iterations","type":"Point"');
const HOST_PREFIX = Buffer.from('{"metric":"perfdo_host","type":"Point"');
const OVERLOAD_PREFIX = Buffer.from('{"metric":"perfdo_overload","type":"Point"');
const FAILURE_PREFIX = Buffer.from('{"metric":"perfdo_failure","type":"Point"');
const CONNECTION_PREFIX = Buffer.from('{"metric":"perfdo_connection","type":"Point"');
const DURATION_DECLARED = Buffer.from('"name":"http_req_duration"');
const METRIC_DECLARATION = Buffer.from('{"type":"Metric"');
const TAG_CACHE_LIMIT = 10_000;

const PointSchema = z.object({
  metric: z.string(),
  type: z.literal("Point"),
  data: z.object({ time: z.string(), value: z.number(), tags: z.record(z.string(), z.string()).nullable().default({}) }),
});
const TagsSchema = z.record(z.string(), z.string());

// Every point line starts `{"metric":"`; the byte after it (and for http_req_* the byte after
// `http_req_`) tells the metrics apart, so most lines are dismissed by one or two byte reads.
const METRIC_AT = '{"metric":"'.length;
const HTTP_REQ_SUFFIX_AT = '{"metric":"http_req_'.length;
const VALUE_KEY = Buffer.from('"value":');

/** A plain byte loop: for ~50-byte prefixes it beats Buffer#compare, whose argument checks dominate. */
function startsWith(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  const n = prefix.length;
  if (end - start < n) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/** Streaming reader state: one instance per file. */
class RawOutputReader {
  readonly run: RawRun;
  private readonly tagCache = new Map<string, Tags>();
  private durationDeclared = false;
  private durationPoints = 0;
  private secondText = "";
  private secondMs = NaN;
  private readonly timeline = new TimelineRecorder();

  constructor(
    private readonly source: string,
    perScenario = false,
  ) {
    this.run = emptyRawRun(perScenario);
  }

  private where(): string {
    return `${this.source}:${this.run.lines}`;
  }

  private tags(text: string): Tags {
    const cached = this.tagCache.get(text);
    if (cached) return cached;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${this.where()}: tags are not a JSON object`);
    }
    const tags = TagsSchema.safeParse(parsed);
    if (!tags.success) throw new Error(`${this.where()}: tags are not a string map`);
    if (this.tagCache.size < TAG_CACHE_LIMIT) this.tagCache.set(text, tags.data);
    return tags.data;
  }

  /** time, value and the tags text of a Point line, by position; null if the line is not shaped so. */
  private slice(line: string): { time: string; value: number; tags: string } | null {
    const timeStart = line.indexOf('"time":"') + 8;
    const timeEnd = line.indexOf('"', timeStart);
    const valueStart = line.indexOf('"value":', timeEnd) + 8;
    const valueEnd = line.indexOf(',"tags":', valueStart);
    if (timeStart < 8 || timeEnd < 0 || valueStart < 8 || valueEnd < 0 || !line.endsWith("}}}")) return null;
    const value = Number(line.slice(valueStart, valueEnd));
    if (!Number.isFinite(value)) return null;
    return { time: line.slice(timeStart, timeEnd), value, tags: line.slice(valueEnd + 8, line.length - 2) };
  }

  /** Slow path for lines the positional reader does not recognise, and for rare metrics. */
  private parsePoint(line: string): { time: string; value: number; tags: Tags } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${this.where()}: not a JSON line`);
    }
    const point = PointSchema.safeParse(parsed);
    if (!point.success) throw new Error(`${this.where()}: not a k6 metric point (${point.error.issues[0]?.message ?? "invalid"})`);
    return { time: point.data.data.time, value: point.data.data.value, tags: point.data.data.tags ?? {} };
  }

  /** An http_req_duration point, or (`measured`) a perfdo_latency point, which is always a success. */
  private duration(line: string, measured = false): void {
    const fast = this.slice(line);
    const point = fast ? { time: fast.time, value: fast.value, tags: this.tags(fast.tags) } : this.parsePoint(line);
    const op = operation(this.run, point.tags);
    const t = this.timeMs(point.time);
    if (!measured && point.tags.expected_response === "false") op.failures++;
    else {
      op.latency.record(point.value);
      this.timeline.response(point.tags.scenario ?? "", operationKey(point.tags), t, point.value);
    }
    if (measured) op.measured++;
    if (!measured) this.durationPoints++;
    if (this.run.firstSampleMs === null || t < this.run.firstSampleMs) this.run.firstSampleMs = t;
    if (this.run.lastSampleMs === null || t > this.run.lastSampleMs) this.run.lastSampleMs = t;
  }

  /** A check's or an iteration's value is mostly 0 or 1: read the digit after `"value":` without decoding the line. */
  private smallValue(buf: Buffer, start: number, end: number): number {
    const at = buf.indexOf(VALUE_KEY, start);
    const digit = at >= 0 && at < end ? buf[at + VALUE_KEY.length] : undefined;
    const next = at >= 0 ? buf[at + VALUE_KEY.length + 1] : undefined;
    if ((digit === 0x31 || digit === 0x30) && next === 0x2c /* , */) return digit - 0x30;
    return this.parsePoint(buf.toString("utf8", start, end)).value;
  }

  private check(buf: Buffer, start: number, end: number): void {
    if (this.smallValue(buf, start, end) > 0) this.run.checks.passes++;
    else this.run.checks.fails++;
  }

  /**
   * RFC 3339 time → ms. The whole-second part ("2026-11-23T12:51:34" plus zone) changes once a
   * second of run, so it is parsed once per second and the fraction added; Date.parse otherwise.
   */
  private timeMs(time: string): number {
    const dot = time.indexOf(".", 19);
    if (dot !== 19) return Date.parse(time);
    let zone = dot + 1;
    while (zone < time.length && time.charCodeAt(zone) >= 48 && time.charCodeAt(zone) <= 57) zone++;
    const second = time.slice(0, 19) + time.slice(zone);
    if (second !== this.secondText) {
      this.secondText = second;
      this.secondMs = Date.parse(second);
    }
    return this.secondMs + Number(`0.${time.slice(dot + 1, zone)}`) * 1000;
  }

  line(buf: Buffer, start: number, end: number): void {
    this.run.lines++;
    const kind = buf[start + METRIC_AT];
    if (kind === 0x68 /* h */ && buf[start + HTTP_REQ_SUFFIX_AT] === 0x64 /* d */ && startsWith(buf, start, end, DURATION_PREFIX)) {
      this.duration(buf.toString("utf8", start, end));
    } else if (kind === 0x63 /* c */ && startsWith(buf, start, end, CHECKS_PREFIX)) {
      this.check(buf, start, end);
    } else if (kind === 0x70 /* p */ && startsWith(buf, start, end, LATENCY_PREFIX)) {
      this.duration(buf.toString("utf8", start, end), true);
    } else if (kind === 0x70 /* p */ && startsWith(buf, start, end, FAILURE_PREFIX)) {
      const point = this.parsePoint(buf.toString("utf8", start, end));
      if (point.tags.name) operation(this.run, point.tags).failures += point.value;
    } else if (kind === 0x70 /* p */ && startsWith(buf, start, end, OVERLOAD_PREFIX)) {
      const point = this.parsePoint(buf.toString("utf8", start, end));
      if (point.tags.name && point.tags.kind) {
        const op = operation(this.run, point.tags);
        op.overloads[point.tags.kind] = (op.overloads[point.tags.kind] ?? 0) + point.value;
      }
    } else if (kind === 0x70 /* p */ && startsWith(buf, start, end, CONNECTION_PREFIX)) {
      // An address reached, or a request sent again (lib/k6/client.ts).
      const point = this.parsePoint(buf.toString("utf8", start, end));
      if (point.tags.addr) this.run.addresses.add(addressText(point.tags.addr, point.tags.port));
      else if (point.tags.retry && point.tags.name) operation(this.run, point.tags).retries += point.value;
    } else if (kind === 0x70 /* p */ && startsWith(buf, start, end, HOST_PREFIX)) {
      const { tags } = this.parsePoint(buf.toString("utf8", start, end));
      if (tags.name && tags.host) this.run.hosts.set(tags.name, tags.host);
    } else if (kind === 0x70 /* p */ && startsWith(buf, start, end, COLO_PREFIX)) {
      const point = this.parsePoint(buf.toString("utf8", start, end));
      const colo = point.tags.colo;
      if (colo) {
        const op = operation(this.run, point.tags);
        op.colos[colo] = (op.colos[colo] ?? 0) + point.value;
      }
    } else if (kind === 0x69 /* i */ && startsWith(buf, start, end, ITERATIONS_PREFIX)) {
      const line = buf.toString("utf8", start, end);
      const fast = this.slice(line);
      const point = fast ? { value: fast.value, tags: this.tags(fast.tags) } : this.parsePoint(line);
      this.run.iterations += point.value;
      const scenario = point.tags.scenario ?? "";
      this.run.scenarioIterations[scenario] = (this.run.scenarioIterations[scenario] ?? 0) + point.value;
    } else if (kind === 0x64 /* d */ && startsWith(buf, start, end, DROPPED_PREFIX)) {
      // Rare (only when every VU is busy): each drop's time starts its user's wait (omission.ts).
      const point = this.parsePoint(buf.toString("utf8", start, end));
      this.run.droppedIterations += point.value;
      const t = this.timeMs(point.time);
      for (let i = 0; i < point.value; i++) this.timeline.drop(point.tags.scenario ?? "", t);
    } else if (buf[start + 2] === 0x74 /* {"t */ && startsWith(buf, start, end, METRIC_DECLARATION) && buf.subarray(start, end).includes(DURATION_DECLARED)) {
      this.durationDeclared = true;
    }
  }

  finish(): RawRun {
    if (this.durationDeclared && this.durationPoints === 0) {
      // Never report "no requests" because k6 changed how it writes points.
      throw new Error(`${this.source}: declares http_req_duration but no point was recognised; has k6's JSON output format changed?`);
    }
    this.run.timelines = this.timeline.timelines;
    return this.run;
  }
}

/** The perfdo output extension's files are named `*.perfdo` (or `*.perfdo.gz`); anything else is k6's JSON output. */
export const isPerfdoOutput = (path: string): boolean => /\.perfdo(\.gz)?$/.test(path);
/** A pod's log (`kubectl logs`, `*.log`) carrying the perfdo output's stdout form among k6's own lines. */
export const isPodLog = (path: string): boolean => /\.log$/.test(path);

/** One raw output, in either format: k6's JSON (`--out json=`) or the perfdo extension's (`--out perfdo=`). */
/** `cutShort`: k6 was killed, so a capture without its end is read for what it holds (perfdo output only). */
export async function readRawOutput(path: string, options: { observe?: SampleObserver; perScenario?: boolean; cutShort?: boolean } = {}): Promise<RawRun> {
  if (isPerfdoOutput(path)) return readPerfdoOutput(path, options);
  if (isPodLog(path)) return readPerfdoOutput(path, { log: true, perScenario: options.perScenario });
  const reader = new RawOutputReader(path, options.perScenario);
  await forEachLine(rawChunks(path), (buf, start, end) => reader.line(buf, start, end));
  return reader.finish();
}

/** Reads several outputs of one distributed run (k6 execution segments) as one: the union of samples. */
export async function readRawOutputs(paths: readonly string[], options: { perScenario?: boolean; cutShort?: boolean } = {}): Promise<RawRun> {
  const runs = await Promise.all(paths.map((p) => readRawOutput(p, options)));
  return mergeRawRuns(runs);
}


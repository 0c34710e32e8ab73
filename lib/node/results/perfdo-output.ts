import * as hdr from "hdr-histogram-js";
import { z } from "zod";
import { LatencyAccumulator } from "./accumulator";
import { forEachLine, rawChunks } from "./raw-lines";
import { operationKey, TimelineRecorder } from "./omission";
import { emptyRawRun, operation, type CaptureProvenance, type RawRun, type Tags } from "./raw-run";
import { addressText } from "./provenance";
import { worstWindowShare } from "../run/saturation";

// Reads the perfdo output extension's raw format (`k6 run --out perfdo=<file>`, written by
// tools/k6/output/output.go), in one streaming pass:
//
//   #perfdo-raw 1 <start unix ms>
//   P <JSON>                        provenance: k6, the load's machine, the harness's word (provenance.ts)
//   S <id> <metric> <tags JSON>     a time series, declared before its first sample
//   <id> <µs since start> <value>   a sample (http_req_duration, perfdo_latency), or an event: a
//                                   dropped iteration, the VU count, a failed request or check
//   A <id> <count> <sum>            a counter's or rate's total (checks, iterations, dropped_iterations, …)
//   B <id> <second> <count> <sum>   one metric's samples in one second, over all its series (bytes each
//                                   way, iteration duration, request phases): for the observer only
//   H <id> <count> <first µs> <last µs> <min> <max> <mean> <m2> <HdrHistogram, compressed base64>
//                                   a series' samples as one histogram (the stdout form, `perfdo=-`)
//   T <ticks> <late> <max µs> <sum µs> <lost µs>  how far behind schedule the output's flush ticks ran
//   W <second> <lost µs>            time lost (lag beyond 25 ms) in one second of the run
//   E <µs since start>              the end: k6 stopped the output cleanly
//
// The stdout form arrives through `kubectl logs` mixed with whatever else the pod printed (k6's
// summary, its log lines on stderr): read as a log, lines that are not the output's are skipped.
//
// A file without its end line was cut short (k6 killed): refused, unless the caller knows k6 was
// killed and asks for what it holds (cutShort): every sample up to the output's last checkpoint (it
// hands its buffer to the file once a second), without the totals k6 writes when it stops.

const TagsSchema = z.record(z.string(), z.string());

interface Series {
  metric: string;
  tags: Tags;
}

/**
 * Sees every sample line as it is read (the run report's time axis): metric, tags, ms since epoch,
 * value; for a B line (one metric's second), the second's start, the sum of its samples and their count.
 */
export type SampleObserver = (metric: string, tags: Tags, atMs: number, value: number, count?: number) => void;

const LATENCY_METRICS = new Set(["http_req_duration", "perfdo_latency"]);

const SPACE = 0x20;

class PerfdoOutputReader {
  readonly run: RawRun;
  private readonly series: Array<Series | undefined> = [];
  private startMs = NaN;
  private ended = false;
  private endMicros = 0;
  /** The load's own span: the first and last sample of a k6 scenario (setup() and teardown() have none). */
  private loadFromMicros = Infinity;
  private loadToMicros = -Infinity;
  private readonly timeline = new TimelineRecorder();

  constructor(
    private readonly source: string,
    private readonly log = false,
    private readonly observe?: SampleObserver,
    perScenario = false,
  ) {
    this.run = emptyRawRun(perScenario);
  }

  private fail(reason: string): never {
    throw new Error(`${this.source}:${this.run.lines}: ${reason}`);
  }

  private seriesOf(id: number): Series {
    return this.series[id] ?? this.fail(`series ${id} is used before it is declared`);
  }

  private sample(text: string): void {
    const a = text.indexOf(" ");
    const b = text.indexOf(" ", a + 1);
    const id = Number(text.slice(0, a));
    const micros = Number(text.slice(a + 1, b));
    const value = Number(text.slice(b + 1));
    if (a < 1 || b < 0 || !Number.isInteger(id) || !Number.isFinite(micros) || !Number.isFinite(value)) this.fail("not a sample line");
    const s = this.seriesOf(id);
    const t = this.startMs + micros / 1000;
    this.observe?.(s.metric, s.tags, t, value);
    if (!LATENCY_METRICS.has(s.metric)) {
      if (s.metric === "dropped_iterations") this.timeline.drop(s.tags.scenario ?? "", t);
      return; // the other events (VUs, failed requests and checks) are for the observer; totals come from A lines
    }
    const op = operation(this.run, s.tags);
    if (s.metric === "http_req_duration" && s.tags.expected_response === "false") op.failures++;
    else {
      op.latency.record(value);
      this.timeline.response(s.tags.scenario ?? "", operationKey(s.tags), t, value);
    }
    if (s.metric === "perfdo_latency") op.measured++;
    if (s.tags.scenario) {
      if (micros < this.loadFromMicros) this.loadFromMicros = micros;
      if (micros > this.loadToMicros) this.loadToMicros = micros;
    }
    if (this.run.firstSampleMs === null || t < this.run.firstSampleMs) this.run.firstSampleMs = t;
    if (this.run.lastSampleMs === null || t > this.run.lastSampleMs) this.run.lastSampleMs = t;
  }

  private histogram(text: string): void {
    const f = text.split(" ");
    const [id, count, first, last, min, max, mean, m2] = f.slice(1, 9).map(Number) as number[];
    const encoded = f[9];
    if (f.length !== 10 || !encoded || ![id, count, first, last, min, max, mean, m2].every((n) => Number.isFinite(n))) this.fail("not a histogram line");
    let decoded: hdr.Histogram;
    try {
      decoded = hdr.decodeFromCompressedBase64(encoded, 64);
    } catch (err) {
      this.fail(`histogram does not decode: ${(err as Error).message}`);
    }
    if (decoded.totalCount !== count) this.fail(`histogram holds ${decoded.totalCount} values, the line says ${count}`);
    const s = this.seriesOf(id as number);
    this.run.timed = false;
    const op = operation(this.run, s.tags);
    if (s.metric === "http_req_duration" && s.tags.expected_response === "false") op.failures += count as number;
    else op.latency.merge(LatencyAccumulator.fromHistogram(decoded, { count: count as number, min: min as number, max: max as number, mean: mean as number, m2: m2 as number }));
    if (s.metric === "perfdo_latency") op.measured += count as number;
    for (const t of [this.startMs + (first as number) / 1000, this.startMs + (last as number) / 1000]) {
      if (this.run.firstSampleMs === null || t < this.run.firstSampleMs) this.run.firstSampleMs = t;
      if (this.run.lastSampleMs === null || t > this.run.lastSampleMs) this.run.lastSampleMs = t;
    }
  }

  private declare(text: string): void {
    const [, idText, metric] = text.split(" ", 3);
    const tagsAt = text.indexOf("{");
    let tags: unknown;
    try {
      tags = JSON.parse(text.slice(tagsAt));
    } catch {
      this.fail("series tags are not JSON");
    }
    const parsed = TagsSchema.safeParse(tags);
    if (tagsAt < 0 || !metric || !parsed.success) this.fail("not a series line");
    this.series[Number(idText)] = { metric, tags: parsed.data };
  }

  private total(text: string): void {
    const [, idText, countText, sumText] = text.split(" ");
    const count = Number(countText);
    const sum = Number(sumText);
    if (!Number.isFinite(count) || !Number.isFinite(sum)) this.fail("not a total line");
    const s = this.seriesOf(Number(idText));
    switch (s.metric) {
      case "checks":
        this.run.checks.passes += sum;
        this.run.checks.fails += count - sum;
        break;
      case "iterations":
        this.run.iterations += sum;
        this.run.scenarioIterations[s.tags.scenario ?? ""] = (this.run.scenarioIterations[s.tags.scenario ?? ""] ?? 0) + sum;
        break;
      case "dropped_iterations":
        this.run.droppedIterations += sum;
        break;
      case "perfdo_failure":
        // A measured operation that failed (a WebSocket that did not connect): an error of that operation.
        if (s.tags.name) operation(this.run, s.tags).failures += sum;
        break;
      case "perfdo_connection":
        // An address reached, or a request sent again (lib/k6/client.ts).
        if (s.tags.addr) this.run.addresses.add(addressText(s.tags.addr, s.tags.port));
        else if (s.tags.retry && s.tags.name) operation(this.run, s.tags).retries += sum;
        break;
      case "perfdo_host":
        if (s.tags.name && s.tags.host) this.run.hosts.set(s.tags.name, s.tags.host);
        break;
      case "perfdo_overload":
        if (s.tags.name && s.tags.kind) {
          const op = operation(this.run, s.tags);
          op.overloads[s.tags.kind] = (op.overloads[s.tags.kind] ?? 0) + sum;
        }
        break;
      case "perfdo_colo_served":
        if (s.tags.colo) {
          const op = operation(this.run, s.tags);
          op.colos[s.tags.colo] = (op.colos[s.tags.colo] ?? 0) + sum;
        }
        break;
    }
  }

  private bucket(text: string): void {
    const [, idText, secondText, countText, sumText] = text.split(" ");
    const second = Number(secondText);
    const count = Number(countText);
    const sum = Number(sumText);
    if (!Number.isInteger(second) || !Number.isInteger(count) || !Number.isFinite(sum)) this.fail("not a bucket line");
    const s = this.seriesOf(Number(idText));
    this.observe?.(s.metric, s.tags, this.startMs + second * 1000, sum, count);
  }

  line(buf: Buffer, start: number, end: number): void {
    if (this.log) {
      // A pod's log: only the output's lines, from its header to its end line, count.
      const text = buf.toString("latin1", start, Math.min(end, start + 12));
      const ours = Number.isNaN(this.startMs) ? text.startsWith("#perfdo-raw ") : !this.ended && (/^[SHATEW] \d/.test(text) || text.startsWith("P {"));
      if (!ours) return;
    }
    this.run.lines++;
    const first = buf[start] as number;
    const text = buf.toString("latin1", start, end);
    if (first >= 0x30 && first <= 0x39) this.sample(text);
    else if (first === 0x53 /* S */ && buf[start + 1] === SPACE) this.declare(buf.toString("utf8", start, end));
    else if (first === 0x41 /* A */) this.total(text);
    else if (first === 0x42 /* B */) this.bucket(text);
    else if (first === 0x54 /* T */) {
      const [count, late, maxMicros, sumMicros, lostMicros] = text.split(" ").slice(1).map(Number) as number[];
      if (![count, late, maxMicros].every((n) => Number.isFinite(n))) this.fail("not a ticks line");
      this.run.ticks = { count: count as number, late: late as number, maxLagMs: (maxMicros as number) / 1000 };
      // Time lost (lag beyond the late mark), else, from an older capture, all the lag.
      const lost = Number.isFinite(lostMicros) ? lostMicros : sumMicros;
      if (Number.isFinite(lost)) this.run.ticks.behindMs = (lost as number) / 1000;
    }
    else if (first === 0x57 /* W */) {
      const [second, micros] = text.split(" ").slice(1).map(Number) as number[];
      if (!Number.isInteger(second) || !Number.isFinite(micros)) this.fail("not a behind-schedule line");
      this.run.behindBySecond.set(second as number, (micros as number) / 1000);
    }
    else if (first === 0x50 /* P */) {
      try {
        this.run.provenance.push(JSON.parse(buf.toString("utf8", start + 2, end)) as CaptureProvenance);
      } catch {
        this.fail("provenance is not JSON");
      }
    }
    else if (first === 0x48 /* H */) this.histogram(text);
    else if (first === 0x45 /* E */) {
      this.ended = true;
      this.endMicros = Number(text.slice(2)) || 0;
    }
    else if (first === 0x23 /* # */ && this.run.lines === 1) {
      const m = /^#perfdo-raw 1 (\d+)$/.exec(text);
      if (!m) this.fail(`unsupported header "${text}"`);
      this.startMs = Number(m[1]);
    } else this.fail("not a perfdo raw line");
    if (this.run.lines === 1 && Number.isNaN(this.startMs)) this.fail("no #perfdo-raw header");
  }

  finish(cutShort = false): RawRun {
    if (this.run.lines === 0) throw new Error(`${this.source}: empty (k6 did not start the perfdo output)`);
    if (!this.ended && !cutShort) throw new Error(`${this.source}: cut short (no end line): k6 did not stop cleanly`);
    if (!this.ended) this.endMicros = Number.isFinite(this.loadToMicros) ? this.loadToMicros : 0;
    this.run.timelines = this.timeline.timelines;
    if (this.run.ticks) {
      // Time behind is judged over the load's own span: setup() may build large payloads (a table
      // staged in 5,000-row batches) and fall behind with nothing scheduled to be late. Measured:
      // e2e/iceberg beside two other test files was behind 10.6 % over its whole run, most of it in setup.
      const from = Number.isFinite(this.loadFromMicros) ? Math.floor(this.loadFromMicros / 1e6) : 0;
      const to = Number.isFinite(this.loadToMicros) ? Math.floor(this.loadToMicros / 1e6) : Math.floor(this.endMicros / 1e6);
      const inLoad = new Map([...this.run.behindBySecond].filter(([second]) => second >= from && second <= to));
      if (Number.isFinite(this.loadFromMicros)) {
        this.run.ticks.behindMs = [...inLoad.values()].reduce((a, b) => a + b, 0);
        this.run.ticks.wallMs = Math.max(1_000, (to - from + 1) * 1_000);
      } else this.run.ticks.wallMs = this.endMicros / 1000;
      this.run.ticks.worstWindow = worstWindowShare(inLoad);
    }
    return this.run;
  }
}

export async function readPerfdoOutput(path: string, options: { log?: boolean; observe?: SampleObserver; perScenario?: boolean; cutShort?: boolean } = {}): Promise<RawRun> {
  const reader = new PerfdoOutputReader(path, options.log, options.observe, options.perScenario);
  await forEachLine(rawChunks(path), (buf, start, end) => reader.line(buf, start, end), { dropUnfinished: options.cutShort });
  return reader.finish(options.cutShort);
}

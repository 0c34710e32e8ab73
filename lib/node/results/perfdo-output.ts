import { z } from "zod";
import { forEachLine, rawChunks } from "./raw-lines";
import { emptyRawRun, operation, type RawRun, type Tags } from "./raw-run";

// Reads the perfdo output extension's raw format (`k6 run --out perfdo=<file>`, written by
// tools/k6/output/output.go), in one streaming pass:
//
//   #perfdo-raw 1 <start unix ms>
//   S <id> <metric> <tags JSON>     a time series, declared before its first sample
//   <id> <µs since start> <value>   a sample (http_req_duration, perfdo_latency)
//   A <id> <count> <sum>            a counter's or rate's total (checks, iterations, dropped_iterations, …)
//   E <µs since start>              the end: k6 stopped the output cleanly
//
// A file without its end line was cut short (k6 killed): its totals are missing, so it is refused.

const TagsSchema = z.record(z.string(), z.string());

interface Series {
  metric: string;
  tags: Tags;
}

const SPACE = 0x20;

class PerfdoOutputReader {
  readonly run = emptyRawRun();
  private readonly series: Array<Series | undefined> = [];
  private startMs = NaN;
  private ended = false;

  constructor(private readonly source: string) {}

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
    const op = operation(this.run, s.tags);
    if (s.metric === "http_req_duration" && s.tags.expected_response === "false") op.failures++;
    else op.latency.record(value);
    if (s.metric === "perfdo_latency") op.measured++;
    const t = this.startMs + micros / 1000;
    if (this.run.firstSampleMs === null || t < this.run.firstSampleMs) this.run.firstSampleMs = t;
    if (this.run.lastSampleMs === null || t > this.run.lastSampleMs) this.run.lastSampleMs = t;
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
        break;
      case "dropped_iterations":
        this.run.droppedIterations += sum;
        break;
      case "perfdo_failure":
        // A measured operation that failed (a WebSocket that did not connect): an error of that operation.
        if (s.tags.name) operation(this.run, s.tags).failures += sum;
        break;
      case "perfdo_host":
        if (s.tags.name && s.tags.host) this.run.hosts.set(s.tags.name, s.tags.host);
        break;
      case "perfdo_colo_served":
        if (s.tags.colo) {
          const op = operation(this.run, s.tags);
          op.colos[s.tags.colo] = (op.colos[s.tags.colo] ?? 0) + sum;
        }
        break;
    }
  }

  line(buf: Buffer, start: number, end: number): void {
    this.run.lines++;
    const first = buf[start] as number;
    const text = buf.toString("latin1", start, end);
    if (first >= 0x30 && first <= 0x39) this.sample(text);
    else if (first === 0x53 /* S */ && buf[start + 1] === SPACE) this.declare(buf.toString("utf8", start, end));
    else if (first === 0x41 /* A */) this.total(text);
    else if (first === 0x45 /* E */) this.ended = true;
    else if (first === 0x23 /* # */ && this.run.lines === 1) {
      const m = /^#perfdo-raw 1 (\d+)$/.exec(text);
      if (!m) this.fail(`unsupported header "${text}"`);
      this.startMs = Number(m[1]);
    } else this.fail("not a perfdo raw line");
    if (this.run.lines === 1 && Number.isNaN(this.startMs)) this.fail("no #perfdo-raw header");
  }

  finish(): RawRun {
    if (this.run.lines === 0) throw new Error(`${this.source}: empty (k6 did not start the perfdo output)`);
    if (!this.ended) throw new Error(`${this.source}: cut short (no end line): k6 did not stop cleanly`);
    return this.run;
  }
}

export async function readPerfdoOutput(path: string): Promise<RawRun> {
  const reader = new PerfdoOutputReader(path);
  await forEachLine(rawChunks(path), (buf, start, end) => reader.line(buf, start, end));
  return reader.finish();
}

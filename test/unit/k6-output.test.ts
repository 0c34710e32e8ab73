import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { emptyRawRun, forEachLine, readRawOutput, readRawOutputs } from "../../lib/node/results/k6-output";

const FIXTURE = join(import.meta.dirname, "..", "..", "fixtures", "k6", "things-smoke", "raw.json.gz");
const plainCopy = (): string => {
  const path = join(tmpdir(), `perfdo-raw-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, gunzipSync(readFileSync(FIXTURE)));
  return path;
};

function summary(run: Awaited<ReturnType<typeof readRawOutput>>): unknown {
  return {
    lines: run.lines,
    checks: run.checks,
    window: [run.firstSampleMs, run.lastSampleMs],
    ops: [...run.operations.values()].map((op) => ({ name: op.name, host: op.host, failures: op.failures, stats: op.latency.stats() })),
  };
}

describe("k6 raw output reader", () => {
  it("reads gzip and plain output to the same figures", async () => {
    const gz = await readRawOutput(FIXTURE);
    const plain = await readRawOutput(plainCopy());
    assert.deepEqual(summary(plain), summary(gz));
    assert.equal(gz.operations.size, 5);
    assert.equal(gz.checks.fails, 0);
    assert.equal(gz.checks.passes, 40 * 13, "13 checks per iteration, 40 iterations");
  });

  it("splits lines correctly whatever the chunk boundaries", async () => {
    const bytes = gunzipSync(readFileSync(FIXTURE));
    const expected: string[] = bytes.toString("utf8").split("\n").filter((l) => l.length > 0);
    for (const size of [1, 7, 300, 4096]) {
      async function* chunks(): AsyncGenerator<Buffer> {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      const seen: string[] = [];
      await forEachLine(chunks(), (buf, start, end) => seen.push(buf.toString("utf8", start, end)));
      assert.deepEqual(seen, expected, `chunks of ${size} bytes`);
    }
  });

  it("parses k6 times with any fraction length and zone offset", async () => {
    const line = (time: string, value: number): string =>
      `{"metric":"http_req_duration","type":"Point","data":{"time":"${time}","value":${value},"tags":{"name":"op","expected_response":"true"}}}`;
    const times = ["2026-11-23T13:51:34.5+01:00", "2026-11-23T12:51:34.219191981Z", "2026-11-23T12:51:35Z", "2026-11-23T12:51:34.0001Z"];
    const path = join(tmpdir(), `perfdo-times-${process.pid}.json`);
    writeFileSync(path, times.map((t, i) => line(t, i + 1)).join("\n"));
    const run = await readRawOutput(path);
    // Sub-millisecond digits are kept (Date.parse drops them), hence "within 1 ms".
    assert.ok(Math.abs((run.firstSampleMs as number) - Date.parse("2026-11-23T12:51:34.0001Z")) < 1);
    assert.equal(run.lastSampleMs, Date.parse("2026-11-23T12:51:35Z"));
    assert.equal(run.operations.get("op")?.latency.count, 4);
  });

  it("fails loudly instead of reporting nothing if k6 changes how it writes points", async () => {
    const path = join(tmpdir(), `perfdo-format-${process.pid}.json`);
    writeFileSync(path, [
      '{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}',
      '{"type":"Point","metric":"http_req_duration","data":{"time":"2026-11-23T12:00:00Z","value":1,"tags":{"name":"op"}}}',
    ].join("\n"));
    await assert.rejects(readRawOutput(path), /declares http_req_duration but no point was recognised/);
  });

  it("names file and line of a malformed point", async () => {
    const path = join(tmpdir(), `perfdo-bad-${process.pid}.json`);
    writeFileSync(path, '{"metric":"http_req_duration","type":"Point","data":{"time":"2026-11-23T12:00:00Z","value":"x","tags":{}}}\n');
    await assert.rejects(readRawOutput(path), new RegExp(`${path}:1: not a k6 metric point`));
  });

  it("merges the outputs of several instances into the union of their samples", async () => {
    const one = await readRawOutput(FIXTURE);
    const both = await readRawOutputs([FIXTURE, plainCopy()]);
    for (const [name, op] of one.operations) {
      const merged = both.operations.get(name);
      assert.equal(merged?.latency.count, op.latency.count * 2);
      assert.deepEqual(
        { p50: merged?.latency.stats()?.p50, min: merged?.latency.stats()?.min, max: merged?.latency.stats()?.max },
        { p50: op.latency.stats()?.p50, min: op.latency.stats()?.min, max: op.latency.stats()?.max },
        "a run merged with itself keeps its median and extremes",
      );
    }
    assert.equal(both.checks.passes, one.checks.passes * 2);
    assert.deepEqual(emptyRawRun().operations.size, 0);
  });
});

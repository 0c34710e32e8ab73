import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readHistory } from "../../lib/node/history/read";
import { costLine, estimateCost, PRICES } from "../../lib/node/results/cost";

// The platform cost of a run at list price, from its result lines (here a real network/echo run of
// the committed history): requests through the Worker to one object each, the objects' duration,
// WebSocket messages at 20:1.

const history = readHistory(join(import.meta.dirname, "..", "..", "results"), [join(import.meta.dirname, "..", "..", "results", "2026-11-23-benchmarks.jsonl")]);
const echo = history.results.filter((r) => r.runId === "2026-11-23T13-05-56-018Z-network-echo");

describe("the cost estimate", () => {
  it("prices a run's requests and its objects' duration", () => {
    assert.equal(echo.length, 4);
    const c = estimateCost(echo);
    const requests = echo.reduce((n, r) => n + r.iterations, 0);
    assert.ok(c);
    assert.equal(c.workerRequests, requests);
    assert.equal(c.doRequests, requests);
    assert.equal(c.objects, 1, "every echo operation is one object, echo.perf.do");
    const seconds = Math.max(...echo.map((r) => r.durationSec));
    assert.ok(Math.abs(c.gbSeconds - seconds * 0.128) < 1e-9);
    const usd = (requests / 1e6) * (PRICES.workerRequestsPerMillion + PRICES.doRequestsPerMillion) + (seconds * 0.128 / 1e6) * PRICES.doGbSecondsPerMillion;
    assert.ok(Math.abs(c.usd - usd) < 1e-12);
    assert.match(costLine(echo) as string, /^cost at list price \(Workers Paid, 2026-12-01; docs\/results\.md "Cost"\): \$0\.\d{5} — /);
  });

  it("bills incoming WebSocket messages at 20 to one request, and a socket's held time not at all", () => {
    const base = echo[0] as (typeof echo)[number];
    const rtt = { ...base, name: "ws.rtt", iterations: 2000 };
    const session = { ...base, name: "ws.soak-session", iterations: 50 };
    const c = estimateCost([rtt, session]);
    assert.equal(c?.websocketMessages, 2000);
    assert.equal(c?.workerRequests, 0);
    assert.equal(c?.doRequests, 100);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failsLimits, nextRate, type LevelRow } from "../../lib/node/sweep/levels";

const row = (over: Partial<LevelRow>): LevelRow => ({
  level: 100, completed: 1000, failed: 0, successRate: 1, offeredRate: 100, achievedRate: 100, droppedIterations: 0,
  p50: 1, p95: 10, p99: 20, slowest: "echo.ping", ...over,
});

describe("sweep: limits and the search for the breaking point", () => {
  it("judges a level by error rate, the slowest operation's p95 and dropped iterations", () => {
    const limits = { p95Ms: 50, maxErrorRate: 0.01 };
    assert.equal(failsLimits(row({}), limits), null);
    assert.match(failsLimits(row({ p95: 51 }), limits) ?? "", /p95 51\.0 ms \(echo\.ping\) > 50 ms/);
    assert.match(failsLimits(row({ completed: 980, failed: 20, successRate: 0.98 }), limits) ?? "", /error rate 2\.00 %/);
    assert.match(failsLimits(row({ droppedIterations: 3 }), limits) ?? "", /3 iterations dropped/);
    assert.match(failsLimits(row({ completed: 0, failed: 0 }), limits) ?? "", /no requests/);
  });

  it("doubles from the start rate until a level fails, then bisects to within 10 %", () => {
    const limit = 475; // a target that holds up to 475/s
    const tried: Array<{ rate: number; ok: boolean }> = [];
    for (let r = nextRate(tried, 100, 3200); r !== null; r = nextRate(tried, 100, 3200)) tried.push({ rate: r, ok: r <= limit });
    assert.deepEqual(tried.slice(0, 4).map((t) => t.rate), [100, 200, 400, 800]);
    const best = Math.max(...tried.filter((t) => t.ok).map((t) => t.rate));
    const worst = Math.min(...tried.filter((t) => !t.ok).map((t) => t.rate));
    assert.ok(best <= limit && worst > limit && worst - best <= best * 0.1, `${best}..${worst} after ${tried.map((t) => t.rate).join(",")}`);
  });

  it("never offers more than --max-rate, and stops there when everything passes", () => {
    const tried: Array<{ rate: number; ok: boolean }> = [];
    for (let r = nextRate(tried, 100, 300); r !== null; r = nextRate(tried, 100, 300)) tried.push({ rate: r, ok: true });
    assert.deepEqual(tried.map((t) => t.rate), [100, 200, 300]);
  });

  it("halves down when the first level already fails, and gives up below 1/s", () => {
    const tried: Array<{ rate: number; ok: boolean }> = [];
    for (let r = nextRate(tried, 8, 100); r !== null; r = nextRate(tried, 8, 100)) tried.push({ rate: r, ok: false });
    assert.deepEqual(tried.map((t) => t.rate), [8, 4, 2, 1]);
  });
});

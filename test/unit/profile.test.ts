import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "../../lib/k6/duration";
import { buildProfile, DEFAULTS, droppedCountThreshold, offeredIterations, PROFILE_NAMES, profileFromEnv, type ProfileScenario, type Stage } from "../../lib/k6/profile";

const stageSeconds = (stages: Stage[]): number => stages.reduce((sum, s) => sum + parseDuration(s.duration), 0);

describe("durations", () => {
  it("parses k6 units and compound durations", () => {
    assert.equal(parseDuration("90s"), 90);
    assert.equal(parseDuration("2m"), 120);
    assert.equal(parseDuration("1h30m"), 5400);
    assert.equal(parseDuration("500ms"), 0.5);
    assert.equal(parseDuration("45"), 45);
  });
  it("rejects what k6 would reject", () => {
    assert.throws(() => parseDuration("10x"), /invalid duration "10x"/);
    assert.throws(() => parseDuration("s"), /invalid duration/);
    assert.throws(() => parseDuration("1m oops"), /invalid duration/);
  });
  it("formats whole seconds, never zero", () => {
    assert.equal(formatDuration(2.6), "3s");
    assert.equal(formatDuration(0.2), "1s");
  });
});

describe("profiles", () => {
  it("turns a dropped-iterations share into the count k6 checks, from the iterations the profile offers", () => {
    const sustain = buildProfile("sustain", { rate: 100, duration: "25s" });
    assert.equal(offeredIterations(sustain), 2500);
    assert.equal(droppedCountThreshold("share<=0.01", sustain), "count<=25");
    // spike: 0.3×50 + 0.05×(50+500)/2 + 0.2×500 + 0.05×(500+50)/2 + 0.4×50 per second of a 100 s run
    assert.equal(Math.round(offeredIterations(buildProfile("spike", { rate: 50, peakRate: 500, duration: "100s" }))), 1500 + 1375 + 10000 + 1375 + 2000);
    assert.equal(droppedCountThreshold("share<=0.01", buildProfile("smoke")), "count<=0", "the closed model offers nothing to drop");
    assert.equal(droppedCountThreshold("count<=5", sustain), "count<=5");
  });

  it("defaults to the open model except smoke and ramp", () => {
    const executors = Object.fromEntries(PROFILE_NAMES.map((n) => [n, buildProfile(n).executor]));
    assert.deepEqual(executors, {
      smoke: "per-vu-iterations",
      ramp: "ramping-vus",
      sustain: "constant-arrival-rate",
      spike: "ramping-arrival-rate",
      stress: "ramping-arrival-rate",
      soak: "constant-arrival-rate",
    });
  });

  it("sustain takes rate, duration and VUs from overrides", () => {
    const s = buildProfile("sustain", { rate: 250, duration: "2m", vus: 30, maxVUs: 60 }) as Extract<ProfileScenario, { executor: "constant-arrival-rate" }>;
    assert.deepEqual(s, { executor: "constant-arrival-rate", rate: 250, timeUnit: "1s", duration: "120s", preAllocatedVUs: 30, maxVUs: 60 });
  });

  it("spike goes baseline → peak → baseline and spans the whole duration", () => {
    const s = buildProfile("spike", { rate: 20, peakRate: 400, duration: "100s" }) as Extract<ProfileScenario, { executor: "ramping-arrival-rate" }>;
    assert.equal(s.startRate, 20);
    assert.deepEqual(s.stages.map((st) => st.target), [20, 400, 400, 20, 20]);
    assert.equal(stageSeconds(s.stages), 100);
  });

  it("stress steps up monotonically to the peak rate", () => {
    const s = buildProfile("stress", { rate: 100, peakRate: 600, duration: "5m" }) as Extract<ProfileScenario, { executor: "ramping-arrival-rate" }>;
    const holds = s.stages.filter((_, i) => i % 2 === 1).map((st) => st.target);
    assert.deepEqual(holds, [200, 300, 400, 500, 600]);
    assert.ok(Math.abs(stageSeconds(s.stages) - 300) <= 5, `stages last ${stageSeconds(s.stages)}s`);
  });

  it("ramp rises to the VU count, holds, and falls to zero", () => {
    const s = buildProfile("ramp", { vus: 12, duration: "90s" }) as Extract<ProfileScenario, { executor: "ramping-vus" }>;
    assert.deepEqual(s.stages, [
      { duration: "30s", target: 12 },
      { duration: "30s", target: 12 },
      { duration: "30s", target: 0 },
    ]);
  });

  it("soak runs long by default and is time-bounded", () => {
    const s = buildProfile("soak") as Extract<ProfileScenario, { executor: "constant-arrival-rate" }>;
    assert.equal(parseDuration(s.duration), parseDuration(DEFAULTS.soak.duration));
    assert.ok(parseDuration(s.duration) >= 1800);
  });

  it("never lets maxVUs fall below the pre-allocated VUs", () => {
    const s = buildProfile("sustain", { vus: 80, maxVUs: 10 }) as Extract<ProfileScenario, { executor: "constant-arrival-rate" }>;
    assert.equal(s.maxVUs, 80);
  });

  it("rejects non-positive overrides with the field's name", () => {
    assert.throws(() => buildProfile("sustain", { rate: 0 }), /rate must be a positive number/);
    assert.throws(() => buildProfile("spike", { peakRate: -1 }), /peak rate must be a positive number/);
  });

  it("reads the profile and overrides from env, as the CLI passes them to k6", () => {
    const { name, scenario } = profileFromEnv({ PERFDO_PROFILE: "smoke", PERFDO_ITERATIONS: "7", PERFDO_VUS: "2" }, "sustain");
    assert.equal(name, "smoke");
    assert.deepEqual(scenario, { executor: "per-vu-iterations", vus: 2, iterations: 7, maxDuration: "60s" });
    assert.equal(profileFromEnv({}, "spike").name, "spike");
    assert.throws(() => profileFromEnv({ PERFDO_PROFILE: "burst" }, "sustain"), /PERFDO_PROFILE "burst" is not a profile/);
    assert.throws(() => profileFromEnv({ PERFDO_RATE: "fast" }, "sustain"), /PERFDO_RATE must be a number/);
  });

  it("applies a scenario's own defaults, which env still overrides", () => {
    const own = profileFromEnv({}, "sustain", { rate: 3 }).scenario as Extract<ProfileScenario, { executor: "constant-arrival-rate" }>;
    assert.equal(own.rate, 3);
    const overridden = profileFromEnv({ PERFDO_RATE: "40" }, "sustain", { rate: 3 }).scenario as Extract<ProfileScenario, { executor: "constant-arrival-rate" }>;
    assert.equal(overridden.rate, 40);
  });
});

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startCalibrationServer, type CalibrationServer } from "../../lib/node/calibrate/server";
import { perfdo, readResults, tempDir } from "./helpers";

// No replay without a trace. A server may close a keep-alive connection just as a request arrives
// on it (workerd closes idle ones after ~5 s). Go's HTTP client resends only requests it knows are
// idempotent; a POST fails with EOF. The harness sends such a POST once more and the result line
// counts it (`retries`): every request the server saw is on the line, as an operation or a retry.

let dir: string;
let server: CalibrationServer;
before(async () => {
  dir = tempDir("replay");
  server = await startCalibrationServer({ closeReusedEvery: 7, log: false });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a POST on a connection the server closed", () => {
  it("is sent once more, and the line says how many were", async () => {
    const results = join(dir, "post");
    const res = await perfdo(
      ["run", "calibration/ping", "--target", `local=${server.address}`, "--rate", "40", "--duration", "3s", "--vus", "2", "--max-vus", "4", "--results-dir", results, "--quiet", "--thresholds-dir", dir],
      { PERFDO_PING_METHOD: "POST" },
    );
    assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
    const line = readResults(results).find((l) => l.name === "calibration.ping");
    assert.ok(line, res.stdout);
    const closed = server.closedUnanswered();
    assert.ok(closed > 0, "the server closed some reused connections");
    // Every request the server saw is accounted for: answered ones are the line's successes; closed
    // ones were retried (retries) or, when the retry met a closed connection too, are errors.
    assert.equal(line.retries ?? 0, closed - line.errors, JSON.stringify({ closed, retries: line.retries, errors: line.errors }));
    assert.equal(line.iterations - line.errors, server.answered());
    assert.ok((line.retries ?? 0) > 0);
  });
});

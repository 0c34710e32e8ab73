import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WebSocket as UndiciWebSocket } from "undici";
import { areasOf, measured, perfdo, readResults, runChecks, startWorker, tempDir } from "./helpers";

// The network and cold-start scenarios against the real local Worker (npm run benchmark:network).

describe("network/websocket against the local Worker", () => {
  it("records handshake, first message, RTT, burst and reconnect as operations, every reply in order", async () => {
    const results = tempDir("results");
    const res = await perfdo(["run", "network/websocket", "--profile", "smoke", "--vus", "1", "--iterations", "2", "--gate", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const lines = new Map(readResults(results).map((l) => [l.name, l]));
    for (const op of ["ws.handshake", "ws.connect-first-message", "ws.burst-per-message", "ws.reconnect", "ws.rtt-chain-mean"]) assert.equal(lines.get(op)?.iterations, 2, op);
    assert.equal(lines.get("ws.rtt")?.iterations, 40, "20 sequential round trips per connection");
    assert.equal(lines.get("ws.handshake")?.errorRate, 0, "every socket opened");
    const ws = areasOf(runChecks(res)).get("ws");
    assert.ok(ws && ws.checks > 0 && ws.fails === 0, JSON.stringify(ws));
  });

  it("catches a Worker that drops one reply in ten", async () => {
    const broken = await startWorker({ fault: "ws-drops-every-tenth" });
    try {
      const res = await perfdo(["run", "network/websocket", "--target", `local=${broken.address}`, "--profile", "smoke", "--vus", "1", "--iterations", "1", "--gate", "--quiet", "--no-results"]);
      assert.equal(res.code, 3, res.stdout + res.stderr);
      assert.match(res.stdout, /FAILED ws: every message gets exactly one reply, in order/);
    } finally {
      await broken.stop();
    }
  });

  it("counts a socket that never opens as a failure of ws.handshake", async () => {
    const results = tempDir("results");
    const res = await perfdo(["run", "network/websocket", "--target", "local=127.0.0.1:1", "--profile", "smoke", "--vus", "1", "--iterations", "2", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const handshake = readResults(results).find((l) => l.name === "ws.handshake");
    assert.equal(handshake?.errorRate, 1, "both connection attempts failed");
    assert.equal(handshake?.latency, null);
  });
});

describe("WebSocket close against the local Worker", () => {
  // Node's built-in WebSocket (global from Node 22; undici's inside) waits for the server to end the
  // connection after the closing handshake; so does the undici package's on Node 20. A close the
  // Worker never answers leaves `onclose` unfired.
  const clients: Array<[string, typeof UndiciWebSocket]> = [["undici", UndiciWebSocket]];
  if (typeof globalThis.WebSocket === "function") clients.push([`Node ${process.version} built-in`, globalThis.WebSocket as unknown as typeof UndiciWebSocket]);

  it("fires onclose within 1 s, whatever close code the client sends, and when the server closes", async (t) => {
    const worker = await startWorker();
    try {
      const attempt = async (Client: typeof UndiciWebSocket, act: (ws: UndiciWebSocket) => void): Promise<{ ms: number; code: number | "never" }> => {
        const ws = new Client(`ws://${worker.address}/@echo/ws`);
        await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
        const start = performance.now();
        const closed = new Promise<number>((resolve) => (ws.onclose = (e) => resolve(e.code)));
        act(ws);
        const code = await Promise.race([closed, new Promise<"never">((resolve) => setTimeout(() => resolve("never"), 1_000).unref())]);
        return { ms: performance.now() - start, code };
      };
      for (const [name, Client] of clients) {
        for (const [how, act, expected] of [
          ["close(1000)", (ws: UndiciWebSocket) => ws.close(1000, "done"), 1000],
          ["close() with no code", (ws: UndiciWebSocket) => ws.close(), 1005],
          ["the server closing", (ws: UndiciWebSocket) => ws.send(JSON.stringify({ type: "close" })), 1012],
        ] as const) {
          const { ms, code } = await attempt(Client, act);
          // Seen over 10 runs (beside another npm test): 1.3–14 ms; the limit, 1 s, is 70x that and the one a user would notice.
          measured(t, `${name} ${how}: onclose after ms`, ms);
          assert.equal(code, expected, `${name}, ${how}: onclose fired with ${expected} within 1 s (expected ${expected}, received ${code})`);
        }
      }
    } finally {
      await worker.stop();
    }
  });
});

describe("perf/coldstart against the local Worker", () => {
  it("records each size's cold start on a fresh object with coldStart and datasetSize, and the cold read grows with size", async (t) => {
    const results = tempDir("results");
    const res = await perfdo(["run", "perf/coldstart", "--profile", "smoke", "--vus", "1", "--iterations", "4", "--quiet", "--results-dir", results], {}, 180_000);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const lines = new Map(readResults(results).map((l) => [l.name, l]));
    const big = lines.get("coldstart.sqlite-100mb");
    assert.equal(big?.coldStart, true);
    assert.equal(big?.datasetSize, 100 * 1024 * 1024);
    assert.equal(lines.get("coldstart.sqlite-100mb.warm")?.coldStart, undefined, "the warm request is not marked cold");
    const read = (mb: number) => lines.get(`coldstart.sqlite-${mb}mb.read`)?.latency?.p50 ?? NaN;
    // Seen over 9 runs on an earlier day: 6.1x to 27.6x. On 2026-12-08, alone: 4.1x and 9.2x before
    // the declared-input change, 4.2x and 5.0x after (a cold object now builds its routes' schemas:
    // about +1 ms on a 4–5 ms cold start); in npm test beside other files, 1.7x and 2.5x. The limit,
    // 2x, is half the lowest seen alone: a read that did not grow with size would be ~1x.
    measured(t, "coldstart read 100mb / 0mb", read(100) / read(0));
    assert.ok(read(100) > 2 * read(0), `reading 100 MB (${read(100)} ms) takes longer than an empty database (${read(0)} ms)`);
  });
});

describe("network/baseline against the local Worker", () => {
  it("records every hop as an operation, cross-colo carrying the colo model's round trip", async (t) => {
    const results = tempDir("results");
    const res = await perfdo(["run", "network/baseline", "--profile", "smoke", "--vus", "1", "--iterations", "2", "--gate", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const lines = new Map(readResults(results).map((l) => [l.name, l]));
    for (const op of ["baseline.worker-to-do", "baseline.do-to-do-same-colo", "baseline.do-to-do-cross-colo", "baseline.do-worker-do", "baseline.http-echo-1kb", "baseline.ws-echo-1kb"]) assert.equal(lines.get(op)?.iterations, 2, op);
    const cross = lines.get("baseline.do-to-do-cross-colo")?.latency?.p50 ?? 0;
    // The colo model's IAD → LHR round trip: 59–62.5 ms over 9 runs (the rest is the local hop).
    measured(t, "baseline cross-colo p50 ms", cross);
    assert.ok(cross >= 55 && cross < 100, `IAD → LHR in the colo model is ~60 ms: ${cross}`);
  });
});


import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// A calibration target: an HTTP server on loopback whose service times are known and whose own log
// is the ground truth the harness's numbers are checked against. Two uses:
// - calibration: each request takes a service time drawn from a fixed list, and the whole server
//   stalls periodically (every `stallEveryMs`, for `stallMs`), as a GC pause or a blocked Durable
//   Object would. Its log times every request from arrival to the last byte sent.
// - the overhead bench: with no service time it answers at once, a trivial server to saturate k6.
// It answers every path with a small JSON body, so any scenario's namespace client accepts it.

export interface CalibrationOptions {
  /** Service times (ms), used in turn, request by request. Default: none (answer at once). */
  serviceMs?: readonly number[];
  /** Period of the stalls (ms from the server's start); 0 or absent: no stalls. */
  stallEveryMs?: number;
  /** How long each stall lasts (ms): requests arriving in one, or due in one, wait for its end. */
  stallMs?: number;
  /**
   * Serve one request at a time, as a Durable Object does: each service time starts when the previous
   * one ends, so latency climbs with load past 1/service time requests a second (a sweep's knee);
   * after a stall the backlog drains one request at a time.
   */
  serial?: boolean;
  /** Every this many requests is answered 503 (errors on the run report's time axis); absent: none. */
  failEvery?: number;
  /**
   * Every this many requests that arrive on a reused keep-alive connection has its connection closed
   * with no answer, as a server closing an idle connection just as a request arrives does (the
   * keep-alive race lib/k6/client.ts retries and counts); absent: never.
   */
  closeReusedEvery?: number;
  /** Keep every request's own latency (ms) for `log()`. Default true. */
  log?: boolean;
  port?: number;
}

export interface CalibrationServer {
  /** host:port on loopback. */
  address: string;
  /** Latencies (ms) the server itself saw, arrival to response end, in completion order. */
  log(): number[];
  /** Requests whose connection was closed unanswered (closeReusedEvery), and requests answered. */
  closedUnanswered(): number;
  answered(): number;
  resetLog(): void;
  stop(): Promise<void>;
}

const BODY = Buffer.from('{"ok":true}');

/** When a response due at `due` (ms since start) can go out: after any stall it falls in. */
export function releaseTime(due: number, stallEveryMs: number, stallMs: number): number {
  if (!(stallEveryMs > 0) || !(stallMs > 0)) return due;
  const phase = due % stallEveryMs;
  const stallStart = stallEveryMs - stallMs; // each period ends with its stall
  return phase >= stallStart ? due - phase + stallEveryMs : due;
}

export async function startCalibrationServer(options: CalibrationOptions = {}): Promise<CalibrationServer> {
  const service = options.serviceMs && options.serviceMs.length > 0 ? options.serviceMs : null;
  const every = options.stallEveryMs ?? 0;
  const stall = options.stallMs ?? 0;
  const keepLog = options.log ?? true;
  const origin = performance.now();
  let latencies: number[] = [];
  let next = 0;
  let served = 0;
  let busyUntil = 0;
  let reused = 0;
  let closed = 0;
  let answered = 0;
  const seen = new WeakSet<object>();

  const server: Server = createServer((req, res) => {
    const arrived = performance.now();
    if (options.closeReusedEvery !== undefined) {
      const again = seen.has(req.socket);
      seen.add(req.socket);
      if (again && ++reused % options.closeReusedEvery === 0) {
        closed++;
        req.socket.destroy();
        return;
      }
    }
    const failing = options.failEvery !== undefined && ++served % options.failEvery === 0;
    const finish = (): void => {
      res.writeHead(failing ? 503 : 200, { "content-type": "application/json", "content-length": BODY.length });
      res.end(BODY);
      answered++;
      if (keepLog) latencies.push(performance.now() - arrived);
    };
    req.resume(); // bodies are read and dropped
    if (!service && every === 0) {
      req.on("end", finish);
      return;
    }
    const ms = service ? (service[next++ % service.length] as number) : 0;
    // Serial: one request at a time, first come first served; a stall holds the one in service and
    // every one queued behind it, which then drain one by one (a Durable Object blocked, then catching
    // up). Otherwise every request is served at once, and a stall releases all it held together.
    const start = options.serial ? releaseTime(Math.max(arrived - origin, busyUntil), every, stall) : arrived - origin;
    const due = releaseTime(start + ms, every, stall);
    if (options.serial) busyUntil = due;
    const wait = due - (arrived - origin);
    req.on("end", () => setTimeout(finish, Math.max(0, wait)));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    log: () => latencies.slice(),
    closedUnanswered: () => closed,
    answered: () => answered,
    resetLog: () => {
      latencies = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

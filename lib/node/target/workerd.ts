import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { EXIT, PerfdoError } from "../errors";

// workerd driven directly, with a config written here, instead of through miniflare. miniflare puts
// its own entry Worker (and a loopback proxy) in front of every request; measured by
// `npm run bench:target`, that hop was most of the local target's CPU per request beyond the floor
// (a one-line Worker forwarding to a one-line Durable Object). The config is Cap'n Proto text, the
// format workerd's own samples use (node_modules/workerd/workerd.capnp is its schema).
//
// Ports: the socket binds 127.0.0.1:0 and workerd reports the port it got on --control-fd as a
// JSON line {"event":"listen","socket":"http","port":N} (workerd serve --help: "reports the port
// each socket is listening on when ready"), so two targets never race for a port.

export interface WorkerdService {
  /** The module file (an ES module bundle); copied beside the config, which embeds it (embed paths are relative to the config). */
  script: string;
  compatibilityDate: string;
  /** Text bindings (env vars). */
  text?: Record<string, string>;
  /** Durable Object namespace bindings: binding name → class name (SQLite-backed). */
  durableObjects?: Record<string, string>;
  /** Service bindings to HTTP servers outside workerd: binding name → host:port (the R2 sidecar's gateway). */
  external?: Record<string, string>;
}

export interface WorkerdProcess {
  port: number;
  pid: number;
  /** Resolves when workerd has exited. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const quote = (s: string): string => JSON.stringify(s); // capnp text strings take JSON's escapes

/** The Cap'n Proto text config for one Worker on one loopback socket. Exported for the unit test. */
export function workerdConfig(service: WorkerdService, storageDir: string, port: number): string {
  const bindings = [
    ...Object.entries(service.text ?? {}).map(([name, value]) => `(name = ${quote(name)}, text = ${quote(value)})`),
    ...Object.entries(service.durableObjects ?? {}).map(([name, cls]) => `(name = ${quote(name)}, durableObjectNamespace = ${quote(cls)})`),
    ...Object.keys(service.external ?? {}).map((name) => `(name = ${quote(name)}, service = ${quote(`external-${name}`)})`),
  ];
  const externals = Object.entries(service.external ?? {}).map(([name, address]) => `,
    (name = ${quote(`external-${name}`)}, external = (address = ${quote(address)}, http = ()))`).join("");
  const namespaces = Object.values(service.durableObjects ?? {}).map((cls) => `(className = ${quote(cls)}, uniqueKey = ${quote(`perfdo-${cls}`)}, enableSql = true)`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "do-storage", disk = (path = ${quote(storageDir)}, writable = true))${externals},
  ],
  sockets = [(name = "http", address = ${quote(`127.0.0.1:${port}`)}, http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = ${quote(service.compatibilityDate)},
  bindings = [${bindings.join(", ")}],
  durableObjectNamespaces = [${namespaces.join(", ")}],
  durableObjectStorage = (localDisk = "do-storage"),
);
`;
}

/** The workerd binary of the installed `workerd` package (miniflare's own dependency). */
export function workerdBinary(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve("workerd/package.json"), "..", "bin", "workerd");
}

const START_TIMEOUT_MS = 30_000;

/**
 * Starts workerd on a free loopback port. Durable Object storage lives in a fresh temporary folder
 * removed on stop, so every start is empty, like a fresh deployment. `detached` puts workerd in its
 * own process group, so a Ctrl-C in the terminal reaches the caller first and the caller decides
 * when the target stops (after k6 has saved its samples).
 */
export async function startWorkerd(service: WorkerdService, options: { port?: number } = {}): Promise<WorkerdProcess> {
  // In memory where the OS has a tmpfs for it: SQLite's commits then cost no disk I/O, as the
  // platform's storage costs the Worker none of its own CPU.
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "perfdo-workerd-"));
  const storage = join(dir, "storage");
  const configPath = join(dir, "config.capnp");
  writeFileSync(configPath, workerdConfig(service, storage, options.port ?? 0));
  copyFileSync(service.script, join(dir, "worker.mjs"));
  mkdirSync(storage);
  const child: ChildProcess = spawn(workerdBinary(), ["serve", "--experimental", "--control-fd=3", configPath], {
    stdio: ["ignore", "inherit", "pipe", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
    process.stderr.write(d); // the Worker's own errors stay visible, as under miniflare
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  // Never leave workerd behind: if this process exits without stop(), workerd goes with it.
  const onExit = (): void => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    cleanup();
  };
  process.once("exit", onExit);

  const control = child.stdio[3] as NodeJS.ReadableStream;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen event within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    createInterface({ input: control }).on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; socket?: string; port?: number };
        if (msg.event === "listen" && msg.socket === "http" && typeof msg.port === "number") {
          clearTimeout(timer);
          resolve(msg.port);
        }
      } catch {
        /* not a control message */
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`workerd exited: ${stderr.trim().split("\n").slice(-3).join(" | ") || "no output"}`));
    });
  }).catch(async (err: Error) => {
    onExit();
    process.off("exit", onExit);
    throw new PerfdoError(`local target failed to start: ${err.message}`, EXIT.runFailed);
  });

  let stopping: Promise<void> | undefined;
  return {
    port,
    pid: child.pid as number,
    exited,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const killed = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(killed);
        }
        process.off("exit", onExit);
        cleanup();
      })();
      return stopping;
    },
  };
}

import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { PACKED_MOUNT, RAW_MOUNT, SCRIPT_FILE, SCRIPT_MOUNT, podScriptPath, runnerCommand, type Manifests } from "./manifests";
import { archiveArgs, operatorArgv } from "./operator-cli";
import { awaitSegments, completed } from "../k6/segments";

// The k6-operator run, rehearsed on this machine: each runner's exact command line (runnerCommand)
// as a local process, with what Kubernetes would do done here instead: the ConfigMap mounted at
// /test becomes a folder, the raw-output volume another, $(POD_NAME) is expanded from the runner's
// env (the kubelet's job), and the REST address is a loopback port instead of 0.0.0.0:6565. Runners
// start paused, and are then resumed together through their REST API, as k6-operator's starter does.
// Before them, the initializer pod's two commands, with the TestRun's arguments filtered as
// k6-operator filters them (operator-cli.ts): `k6 archive`, then `k6 inspect --execution-requirements`.
// Every pod's init containers (the archive's unpacking) run first, their exact commands with the
// mounts mapped to folders. A runner's stdout and stderr go to `<pod>.log`, as `kubectl logs` shows them.

export interface Rehearsal {
  rawOutputs: string[];
  summaries: string[];
  exitCodes: number[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForApi(port: number, deadline: number, exit: () => string | null): Promise<void> {
  for (;;) {
    const gone = exit();
    if (gone) throw new Error(gone);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/status`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`runner REST API on 127.0.0.1:${port} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface PodSpec {
  arguments?: string;
  runner: { env: Array<{ name: string; value?: string }>; initContainers?: Array<{ name: string; command: string[] }> };
}

/** A pod's paths, as folders of the rehearsal. */
function podPaths(dir: string): (arg: string) => string {
  const folders: Array<[string, string]> = [
    [`${PACKED_MOUNT}/`, join(dir, "packed") + "/"],
    [`${SCRIPT_MOUNT}/`, join(dir, "script") + "/"],
    ["/test/", join(dir, "test") + "/"],
    [`${RAW_MOUNT}/`, join(dir, "raw") + "/"],
  ];
  return (arg) => folders.reduce((a, [from, to]) => a.replaceAll(from, to), arg);
}

/** The pod's init containers, their exact commands with the mounts mapped (each pod runs them; here once). */
function initContainers(manifests: Manifests, dir: string): void {
  const spec = (manifests.testRun as { spec: PodSpec }).spec;
  const map = podPaths(dir);
  for (const c of spec.runner.initContainers ?? []) {
    const [bin, ...args] = c.command.map(map);
    const res = spawnSync(bin as string, args, { encoding: "utf8", timeout: 60_000 });
    if (res.status !== 0) throw new Error(`rehearsal init container ${c.name} failed (${(res.stderr || "").trim().split("\n").pop() ?? `exit ${res.status}`}); on a cluster no pod would start`);
  }
}

/** The ConfigMap mounted as a folder: its text data, or its binary data decoded. */
function mountConfigMap(manifests: Manifests, folder: string): void {
  const cm = manifests.configMap as { data?: Record<string, string>; binaryData?: Record<string, string> };
  mkdirSync(folder, { recursive: true });
  for (const [file, text] of Object.entries(cm.data ?? {})) writeFileSync(join(folder, file), text);
  for (const [file, base64] of Object.entries(cm.binaryData ?? {})) writeFileSync(join(folder, file), Buffer.from(base64, "base64"));
}

/** The initializer pod, rehearsed: what fails there fails the TestRun before any runner starts. */
export function initializer(manifests: Manifests, k6Bin: string, script: string, dir: string): void {
  const spec = (manifests.testRun as { spec: PodSpec }).spec;
  const env = spec.runner.env.filter((e) => e.value !== undefined).flatMap((e) => ["-e", `${e.name}=${e.value}`]);
  const archive = join(dir, "initializer.archived.tar");
  let kept: string[];
  try {
    kept = archiveArgs(operatorArgv(spec.arguments ?? ""));
  } catch (err) {
    throw new Error(`rehearsal initializer: k6-operator refuses the TestRun's arguments: ${(err as Error).message}`);
  }
  for (const argv of [["archive", script, ...env, "-O", archive, ...kept], ["inspect", "--execution-requirements", archive]]) {
    const res = spawnSync(k6Bin, argv, { encoding: "utf8", timeout: 60_000 });
    if (res.status !== 0) {
      const why = (res.stderr || res.stdout).trim().split("\n").pop() ?? `exit ${res.status}`;
      throw new Error(`rehearsal initializer: k6 ${argv.slice(0, 2).join(" ")} … failed (${why}); on a cluster the TestRun would go to error`);
    }
  }
}

/** Runs every runner of `manifests.testRun` locally; returns their raw outputs and summaries. */
export async function rehearse(manifests: Manifests, k6Bin: string, dir: string, timeoutMs = 600_000): Promise<Rehearsal> {
  const testRun = manifests.testRun as { metadata: { name: string }; spec: { parallelism: number; runner: { env: Array<{ name: string; value?: string }> } } };
  const map = podPaths(dir);
  const rawDir = join(dir, "raw");
  const archived = podScriptPath(manifests.testRun) !== `/test/${SCRIPT_FILE}`;
  mountConfigMap(manifests, join(dir, archived ? "packed" : "test"));
  for (const folder of ["script", "raw"]) mkdirSync(join(dir, folder), { recursive: true });
  initContainers(manifests, dir);
  initializer(manifests, k6Bin, map(podScriptPath(manifests.testRun)), dir);
  const viaLogs = String((manifests.testRun as { spec: { arguments?: string } }).spec.arguments).includes("perfdo=-");

  const runners: Array<{ exited: Promise<number>; port: number; pod: string; kill: () => void; gone: () => string | null }> = [];
  const deadline = Date.now() + timeoutMs;
  try {
    for (let i = 1; i <= testRun.spec.parallelism; i++) {
      const pod = `${testRun.metadata.name}-${i}-rehearsal`;
      const env: Record<string, string> = { POD_NAME: pod };
      for (const e of testRun.spec.runner.env) if (e.value !== undefined) env[e.name] = e.value;
      const port = await freePort();
      const expand = (arg: string): string => arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
      const [, ...args] = runnerCommand(manifests.testRun, i).map((arg) => map(expand(arg)).replace("--address=0.0.0.0:6565", `--address=127.0.0.1:${port}`));
      const child = spawn(k6Bin, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      // The pod's log, as `kubectl logs` would give it: stdout and stderr as they come.
      const log = createWriteStream(join(rawDir, `${pod}.log`));
      child.stdout.pipe(log, { end: false });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        log.write(d);
        stderr = (stderr + d.toString()).slice(-4000);
      });
      let code: number | null = null;
      const exited = new Promise<number>((resolve) => child.on("close", (c) => log.end(() => resolve((code = c ?? 1)))));
      const gone = (): string | null => (code === null ? null : `rehearsal runner ${pod} exited ${code} before it was started: ${stderr.trim().split("\n").pop() ?? ""}`);
      runners.push({ exited, port, pod, kill: () => child.kill("SIGKILL"), gone });
      exited.then((code) => {
        if (!completed(code)) process.stderr.write(`perfdo: rehearsal runner ${pod} exited ${code}: ${stderr.trim().split("\n").pop() ?? ""}\n`);
      });
    }
    // The starter: every runner paused and listening, then all resumed.
    await Promise.all(runners.map((r) => waitForApi(r.port, Math.min(deadline, Date.now() + 60_000), r.gone)));
    await Promise.all(
      runners.map((r) =>
        fetch(`http://127.0.0.1:${r.port}/v1/status`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ data: { type: "status", id: "default", attributes: { paused: false } } }),
        }),
      ),
    );
    const timer = setTimeout(() => runners.forEach((r) => r.kill()), Math.max(0, deadline - Date.now()));
    const { codes: exitCodes } = await awaitSegments(runners);
    clearTimeout(timer);
    if (viaLogs) return { rawOutputs: runners.map((r) => join(rawDir, `${r.pod}.log`)), summaries: [], exitCodes };
    const ext = String((manifests.testRun as { spec: { arguments: string } }).spec.arguments).includes("perfdo=") ? "perfdo" : "json.gz";
    return {
      rawOutputs: runners.map((r) => join(rawDir, `${r.pod}.${ext}`)),
      summaries: runners.map((r) => join(rawDir, `${r.pod}.summary.json`)),
      exitCodes,
    };
  } catch (err) {
    runners.forEach((r) => r.kill());
    throw err;
  }
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { workerBuildOptions } from "../../esbuild.config.mjs";
import { COMPATIBILITY_DATE } from "../../lib/node/target/local";

// The reference Worker built and run under miniflare, as workers-sdk's vitest-pool-workers examples
// run one: routes called directly with dispatchFetch, no port and no k6. Each test file gets its own
// (with miniflare's local R2 bound as ICEBERG_LOCAL), so storage is the file's own.

const ROOT = join(import.meta.dirname, "..", "..");

export interface WorkerUnderTest {
  mf: Miniflare;
  dispose(): Promise<void>;
}

/** `r2`: the name the bucket is bound under (ICEBERG_LOCAL, as the local target binds it; ICEBERG as a deployment does). */
export async function startWorkerMiniflare(bindings: Record<string, string> = {}, options: { r2?: string } = {}): Promise<WorkerUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), "perfdo-worker-"));
  const script = join(dir, "worker.mjs");
  await build({ ...workerBuildOptions, entryPoints: [join(ROOT, "deploy", "src", "index.ts")], outfile: script, absWorkingDir: ROOT });
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dirname(script),
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: { PERF_DO: { className: "PerfDO", useSQLite: true } },
    r2Buckets: [options.r2 ?? "ICEBERG_LOCAL"],
    bindings: { PERFDO_LOCAL: "1", BASE_DOMAIN: "perf.do", ...bindings },
  });
  await mf.ready;
  return {
    mf,
    dispose: async () => {
      await mf.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

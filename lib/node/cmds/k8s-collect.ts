import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { EXIT, PerfdoError, inputError } from "../errors";
import { pinnedK6Version } from "../k6/version";
import { resultsTable } from "../results/table";
import { ingest } from "../run/ingest";
import { resultsDirOption } from "./options";

// `perfdo k8s collect <name>`: a TestRun's results, read back through its runner pods' logs, where
// each runner's perfdo output wrote its histograms at the end (`--out perfdo=-`). Pods are found by
// the labels k6-operator gives runners (pkg/resources/jobs/helpers.go newLabels, lines 13–18:
// app=k6, k6_cr=<name>; runner.go line 102: runner=true) and read from their container "k6"
// (runner.go line 196). The scenario and target come from the TestRun's perfdo annotations. The
// merged percentiles are HdrHistogram's, each within 0.1 % of the exact value; counts, means, minima
// and maxima are exact. `--delete` removes the TestRun (and so its pods) once the results are safe.

interface CollectFlags {
  namespace?: string;
  kubectl: string;
  delete: boolean;
  results: boolean;
  resultsDir: string;
}

function kubectl(flags: CollectFlags, args: string[]): string {
  const full = [...(flags.namespace ? ["--namespace", flags.namespace] : []), ...args];
  const res = spawnSync(flags.kubectl, full, { encoding: "utf8", maxBuffer: 1 << 30, timeout: 120_000 });
  if (res.error) throw new PerfdoError(`${flags.kubectl}: ${res.error.message} (install kubectl, or name it with --kubectl)`, EXIT.runFailed);
  if (res.status !== 0) throw new PerfdoError(`${flags.kubectl} ${full.join(" ")}: ${(res.stderr || "").trim().split("\n").pop() ?? `exit ${res.status}`}`, EXIT.runFailed);
  return res.stdout;
}

export function k8sCollectCommand(root: string): Command {
  const command = new Command("collect")
    .exitOverride()
    .description("read a finished TestRun's results from its runner pods' logs (kubectl logs) and append them to results/")
    .argument("<name>", "the TestRun's name, e.g. perfdo-perf-shard")
    .option("--namespace <ns>", "the TestRun's Kubernetes namespace")
    .option("--kubectl <bin>", "the kubectl to call", "kubectl")
    .option("--delete", "delete the TestRun (and its pods) once the results are written", false)
    .option("--no-results", "print only, do not append to results/");
  resultsDirOption(command, root, "where history lines go");
  return command.action(async (name: string, flags: CollectFlags) => {
    const testRun = JSON.parse(kubectl(flags, ["get", "testrun", name, "-o", "json"])) as { metadata?: { annotations?: Record<string, string> }; spec?: { parallelism?: number } };
    const scenario = testRun.metadata?.annotations?.["perfdo/scenario"];
    const target = testRun.metadata?.annotations?.["perfdo/target"] ?? "perf.do";
    if (!scenario) throw inputError(`TestRun ${name} has no perfdo/scenario annotation: it was not written by perfdo k8s`);
    const pods = kubectl(flags, ["get", "pods", "-l", `app=k6,k6_cr=${name},runner=true`, "-o", "jsonpath={.items[*].metadata.name}"]).split(/\s+/).filter((p) => p.length > 0);
    const expected = testRun.spec?.parallelism ?? pods.length;
    if (pods.length !== expected) throw new PerfdoError(`TestRun ${name} has ${pods.length} runner pod(s), not ${expected}: collect before the pods are cleaned up, after every runner finished`, EXIT.runFailed);
    const dir = mkdtempSync(join(tmpdir(), `perfdo-collect-${name}-`));
    const logs = pods.sort().map((pod) => {
      const file = join(dir, `${pod}.log`);
      writeFileSync(file, kubectl(flags, ["logs", pod, "-c", "k6"]));
      return file;
    });
    const { results, historyFile, problems } = await ingest({
      root, scenario, rawOutputs: logs, summaries: [], target, recordedBy: "k8s collect", resultsDir: resolve(flags.resultsDir), writeResults: flags.results, k6Version: pinnedK6Version(root),
    });
    console.log(resultsTable(results));
    for (const problem of problems) console.log(`warning: ${problem}`);
    if (historyFile) console.log(`${results.length} result line(s) appended to ${relative(process.cwd(), historyFile)} (percentiles from HdrHistogram, within 0.1 %)`);
    if (flags.delete) kubectl(flags, ["delete", "testrun", name]);
  });
}

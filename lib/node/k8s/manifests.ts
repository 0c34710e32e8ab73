import { SYSTEM_TAGS } from "../k6/run";

// What `perfdo k8s` writes for k6-operator: a ConfigMap with the built script, a PersistentVolumeClaim
// for the runners' raw output, and a TestRun (k6.io/v1alpha1). Checked by kubeconform against
// deploy/k8s/schemas/ (npm test). `runnerCommand` is the command line k6-operator gives runner i
// (pkg/resources/jobs/runner.go and pkg/segmentation of k6-operator): the local rehearsal runs
// exactly that, so what is rehearsed here is what the pods run.

export interface K8sRequest {
  /** TestRun name: DNS-1123 label, ≤ 52 characters (k6-operator names jobs `<name>-<i>` and services `<name>-service-<i>`). */
  name: string;
  namespace?: string;
  scenario: string;
  /** The built k6 script (build/<scenario>.js). */
  script: string;
  parallelism: number;
  separate: boolean;
  /** k6's version, e.g. v2.2.0: the runner image is grafana/k6 of that version unless `image` is given. */
  k6Version: string;
  image?: string;
  /** The runner image carries the perfdo output extension (deploy/k8s/Dockerfile.runner): cheaper raw capture. */
  perfdoOutput: boolean;
  /** PERFDO_* env for the script: target, profile and overrides. */
  env: Record<string, string>;
  rawStorage: string;
}

export const RAW_MOUNT = "/perfdo-raw";
export const SCRIPT_FILE = "test.js";
/** ConfigMaps are limited to 1 MiB of data. */
const CONFIGMAP_LIMIT = 1024 * 1024;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A TestRun name from a scenario name: `perf/shard` → `perfdo-perf-shard`. */
export function defaultName(scenario: string): string {
  return `perfdo-${scenario.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")}`.slice(0, 52).replace(/-+$/, "");
}

/** Null when valid, else the one-line reason. */
export function checkName(name: string): string | null {
  if (name.length > 52) return `TestRun name "${name}" is ${name.length} characters; at most 52 (k6-operator appends -service-<i>)`;
  if (!DNS_LABEL.test(name)) return `TestRun name "${name}" is not a DNS-1123 label (lowercase letters, digits and "-")`;
  return null;
}

/**
 * The `arguments` of the TestRun: raw output and summary per pod, named by the pod ($(POD_NAME),
 * expanded by the kubelet). `--out` and its value are two words: k6-operator removes the output flag
 * before its initializer's `k6 archive` only in that form (operator-cli.ts); `--out=…` reached
 * `k6 archive`, which has no such flag, and every TestRun went to error.
 */
export function runnerArguments(perfdoOutput: boolean): string {
  const raw = perfdoOutput ? `perfdo=${RAW_MOUNT}/$(POD_NAME).perfdo` : `json=${RAW_MOUNT}/$(POD_NAME).json.gz`;
  return ["--out", raw, `--summary-export=${RAW_MOUNT}/$(POD_NAME).summary.json`, `--system-tags=${SYSTEM_TAGS.join(",")}`, "--no-color"].join(" ");
}

export interface Manifests {
  configMap: Record<string, unknown>;
  claim: Record<string, unknown>;
  testRun: Record<string, unknown>;
}

export function k8sManifests(req: K8sRequest): Manifests {
  const problem = checkName(req.name);
  if (problem) throw new Error(problem);
  if (Buffer.byteLength(req.script) > CONFIGMAP_LIMIT) throw new Error(`the built script is ${Buffer.byteLength(req.script)} bytes; a ConfigMap holds at most 1 MiB`);
  const metadata = (name: string) => ({
    name,
    ...(req.namespace ? { namespace: req.namespace } : {}),
    labels: { "app.kubernetes.io/part-of": "perfdo", "app.kubernetes.io/name": req.name },
  });
  const image = req.image ?? `grafana/k6:${req.k6Version.replace(/^v/, "")}`;
  const env = [
    // First, so that $(POD_NAME) in the command line (the raw output's file name) expands.
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ...Object.entries(req.env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
  ];
  return {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata(`${req.name}-script`),
      data: { [SCRIPT_FILE]: req.script },
    },
    claim: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: metadata(`${req.name}-raw`),
      // Every runner writes its own file; with `separate` they sit on different nodes: ReadWriteMany.
      spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: req.rawStorage } } },
    },
    testRun: {
      apiVersion: "k6.io/v1alpha1",
      kind: "TestRun",
      metadata: metadata(req.name),
      spec: {
        parallelism: req.parallelism,
        separate: req.separate,
        cleanup: "post",
        script: { configMap: { name: `${req.name}-script`, file: SCRIPT_FILE } },
        arguments: runnerArguments(req.perfdoOutput),
        runner: {
          image,
          metadata: { labels: { "app.kubernetes.io/part-of": "perfdo" } },
          env,
          volumes: [{ name: "perfdo-raw", persistentVolumeClaim: { claimName: `${req.name}-raw` } }],
          volumeMounts: [{ name: "perfdo-raw", mountPath: RAW_MOUNT }],
        },
      },
    },
  };
}

/** k6-operator's `--execution-segment` pair for runner `index` (1-based) of `total`. */
export function segmentArgs(index: number, total: number): string[] {
  const part = (i: number): string => (i === 0 ? "0" : i === total ? "1" : `${i}/${total}`);
  const sequence = Array.from({ length: total + 1 }, (_, i) => part(i)).join(",");
  return [`--execution-segment=${part(index - 1)}:${part(index)}`, `--execution-segment-sequence=${sequence}`];
}

/**
 * The command k6-operator runs in runner `index` (1-based), as in its runner.go: `k6 run --quiet`,
 * the segment (parallelism > 1), the TestRun's arguments, the script, the REST address, `--paused`
 * (the starter resumes every runner together), and the instance and test-run tags.
 */
export function runnerCommand(testRun: Manifests["testRun"], index: number): string[] {
  const spec = (testRun as { spec: { parallelism: number; arguments?: string; script: { configMap: { file: string } } } }).spec;
  const name = (testRun as { metadata: { name: string } }).metadata.name;
  const command = ["k6", "run", "--quiet"];
  if (spec.parallelism > 1) command.push(...segmentArgs(index, spec.parallelism));
  command.push(...(spec.arguments ?? "").split(/\s+/).filter((a) => a.length > 0));
  command.push(`/test/${spec.script.configMap.file}`, "--address=0.0.0.0:6565", "--paused");
  command.push("--tag", `instance_id=${index}`, "--tag", `testrun_name=${name}`);
  return command;
}

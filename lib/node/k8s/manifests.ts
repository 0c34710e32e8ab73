import { SYSTEM_TAGS } from "../k6/run";
import { equalSegments, segmentFlags, type Segment } from "../k6/segments";

// What `perfdo k8s` writes for k6-operator: a ConfigMap with the built script (or its k6 archive), a
// TestRun (k6.io/v1alpha1), and, only when results go to a shared disk, a PersistentVolumeClaim. Checked by kubeconform against
// deploy/k8s/schemas/ (npm test). `runnerCommand` is the command line k6-operator gives runner i
// (pkg/resources/jobs/runner.go and pkg/segmentation of k6-operator): the local rehearsal runs
// exactly that, so what is rehearsed here is what the pods run.

/**
 * How results leave the pods. `logs` (the default): no volume at all; each runner's perfdo output
 * writes its histograms to stdout at the end (`--out perfdo=-`), and `perfdo k8s collect` reads them
 * with `kubectl logs`, so any cluster works, whatever its storage classes. It needs the perfdo output
 * extension in the runner image (deploy/k8s/Dockerfile.runner). `claim`: every runner writes its raw
 * output to a ReadWriteMany claim of the named storage class (EKS, GKE, AKS and kind offer none by
 * default: name one that does, e.g. EFS, Filestore, Azure Files, NFS).
 */
export type ResultsRoute = { kind: "logs" } | { kind: "claim"; storageClass: string; size: string };

export interface K8sRequest {
  /** TestRun name: DNS-1123 label, ≤ 52 characters (k6-operator names jobs `<name>-<i>` and services `<name>-service-<i>`). */
  name: string;
  namespace?: string;
  scenario: string;
  /** The built k6 script (build/<scenario>.js). */
  script: string;
  /**
   * The k6 archive of the script and every file it opens (CSVs, vendored libraries), gzip-compressed,
   * when the script needs more than itself: the ConfigMap then carries this instead, unpacked by an
   * init container into an emptyDir that the script is run from (`script.localFile`).
   */
  archive?: Buffer;
  parallelism: number;
  /** k6-operator's `separate`: one runner per node, a hard anti-affinity (more runners than nodes never start). */
  separate: boolean;
  /** k6's version, e.g. v2.2.0: the runner image is grafana/k6 of that version unless `image` is given. */
  k6Version: string;
  image?: string;
  /** The runner image carries the perfdo output extension (deploy/k8s/Dockerfile.runner): cheaper raw capture. */
  perfdoOutput: boolean;
  /** PERFDO_* env for the script: target, profile and overrides. */
  env: Record<string, string>;
  results: ResultsRoute;
  /** A Secret holding the target's bearer token (key `token`), given to the runners as PERFDO_TOKEN; never the token itself. */
  tokenSecret?: string;
}

/** The k6 image's user (grafana/k6's Dockerfile: `adduser -D -u 12345 -g 12345 k6`, `USER 12345`). */
export const K6_IMAGE_UID = 12345;
export const PACKED_MOUNT = "/perfdo-packed";
export const SCRIPT_MOUNT = "/perfdo-script";
export const ARCHIVE_FILE = "test.tar";
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
 * The `arguments` of the TestRun: where each runner's output goes. `--out` and its value are two
 * words: k6-operator removes the output flag before its initializer's `k6 archive` only in that form
 * (operator-cli.ts); `--out=…` reached `k6 archive`, which has no such flag, and every TestRun went
 * to error. With a claim: raw output and summary per pod, named by the pod ($(POD_NAME), expanded by
 * the kubelet). Through logs: the perfdo output's stdout form.
 */
export function runnerArguments(perfdoOutput: boolean, route: ResultsRoute = { kind: "claim", storageClass: "", size: "1Gi" }): string {
  const tags = [`--system-tags=${SYSTEM_TAGS.join(",")}`, "--no-color"];
  if (route.kind === "logs") return ["--out", "perfdo=-", ...tags].join(" ");
  const raw = perfdoOutput ? `perfdo=${RAW_MOUNT}/$(POD_NAME).perfdo` : `json=${RAW_MOUNT}/$(POD_NAME).json.gz`;
  return ["--out", raw, `--summary-export=${RAW_MOUNT}/$(POD_NAME).summary.json`, ...tags].join(" ");
}

export interface Manifests {
  configMap: Record<string, unknown>;
  /** Only with `results: claim`. */
  claim: Record<string, unknown> | null;
  testRun: Record<string, unknown>;
}

export function k8sManifests(req: K8sRequest): Manifests {
  const problem = checkName(req.name);
  if (problem) throw new Error(problem);
  const shipped = req.archive ?? Buffer.from(req.script);
  if (shipped.byteLength > CONFIGMAP_LIMIT) {
    throw new Error(`the ${req.archive ? "compressed k6 archive of the script and its files" : "built script"} is ${shipped.byteLength} bytes; a ConfigMap holds at most 1 MiB`);
  }
  if (req.results.kind === "logs" && !req.perfdoOutput) {
    throw new Error("results through the pods' logs need the perfdo output extension in the runner image: build deploy/k8s/Dockerfile.runner and pass --image <it> --perfdo-output, or keep raw files on a ReadWriteMany claim with --storage-class <class>");
  }
  const metadata = (name: string, annotations?: Record<string, string>) => ({
    name,
    ...(req.namespace ? { namespace: req.namespace } : {}),
    labels: { "app.kubernetes.io/part-of": "perfdo", "app.kubernetes.io/name": req.name },
    ...(annotations ? { annotations } : {}),
  });
  const image = req.image ?? `grafana/k6:${req.k6Version.replace(/^v/, "")}`;
  const env: Array<Record<string, unknown>> = [
    // First, so that $(POD_NAME) in the command line (the raw output's file name) expands.
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ...Object.entries(req.env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
  ];
  // The token reaches k6 as an env var of the pod read from a Secret (k6 run passes the system env to
  // the script), so the manifests name the Secret and never hold the token.
  if (req.tokenSecret) env.push({ name: "PERFDO_TOKEN", valueFrom: { secretKeyRef: { name: req.tokenSecret, key: "token", optional: true } } });
  const claim = req.results.kind === "claim";
  const volumes: Array<Record<string, unknown>> = [];
  const volumeMounts: Array<Record<string, unknown>> = [];
  if (claim) {
    volumes.push({ name: "perfdo-raw", persistentVolumeClaim: { claimName: `${req.name}-raw` } });
    volumeMounts.push({ name: "perfdo-raw", mountPath: RAW_MOUNT });
  }
  let script: Record<string, unknown> = { configMap: { name: `${req.name}-script`, file: SCRIPT_FILE } };
  let initContainers: Array<Record<string, unknown>> | undefined;
  if (req.archive) {
    // k6-operator mounts a ConfigMap script read-only at /test and runs `k6 archive` on it in the
    // initializer, archives included (pkg/resources/jobs/initializer.go line 62); a ConfigMap holds
    // 1 MiB, so the archive travels compressed and an init container unpacks it. The initializer pod
    // is a copy of the runner's when it has no spec of its own (initializer.go lines 33–35), so it
    // gets the same init container and volumes.
    volumes.push({ name: "perfdo-packed", configMap: { name: `${req.name}-script` } }, { name: "perfdo-script", emptyDir: {} });
    volumeMounts.push({ name: "perfdo-script", mountPath: SCRIPT_MOUNT });
    initContainers = [{
      name: "perfdo-unpack",
      image,
      command: ["sh", "-c", `gunzip -c ${PACKED_MOUNT}/${ARCHIVE_FILE}.gz > ${SCRIPT_MOUNT}/${ARCHIVE_FILE}`],
      volumeMounts: [{ name: "perfdo-packed", mountPath: PACKED_MOUNT }, { name: "perfdo-script", mountPath: SCRIPT_MOUNT }],
    }];
    script = { localFile: `${SCRIPT_MOUNT}/${ARCHIVE_FILE}` };
  }
  return {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata(`${req.name}-script`),
      ...(req.archive ? { binaryData: { [`${ARCHIVE_FILE}.gz`]: req.archive.toString("base64") } } : { data: { [SCRIPT_FILE]: req.script } }),
    },
    claim: req.results.kind === "claim"
      ? {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: metadata(`${req.name}-raw`),
          // Every runner writes its own file, from whichever node it runs on: ReadWriteMany.
          spec: { accessModes: ["ReadWriteMany"], storageClassName: req.results.storageClass, resources: { requests: { storage: req.results.size } } },
        }
      : null,
    testRun: {
      apiVersion: "k6.io/v1alpha1",
      kind: "TestRun",
      // What `perfdo k8s collect` needs to read the results back: the scenario and the target.
      metadata: metadata(req.name, { "perfdo/scenario": req.scenario, "perfdo/target": req.env.PERFDO_TARGET ?? "perf.do" }),
      spec: {
        parallelism: req.parallelism,
        separate: req.separate,
        // Through logs the pods must outlive the run until `perfdo k8s collect` has read them (it
        // deletes the TestRun with --delete); a claim keeps the files, so the pods can go at once.
        ...(claim ? { cleanup: "post" } : {}),
        script,
        arguments: runnerArguments(req.perfdoOutput, req.results),
        runner: {
          image,
          metadata: { labels: { "app.kubernetes.io/part-of": "perfdo" } },
          env,
          // k6's image runs as uid 12345: a volume it writes must be group-writable by it.
          securityContext: { fsGroup: K6_IMAGE_UID },
          ...(initContainers ? { initContainers } : {}),
          ...(volumes.length > 0 ? { volumes, volumeMounts } : {}),
        },
      },
    },
  };
}

/** The script path k6 runs in a pod: the ConfigMap's file at /test, or the unpacked archive. */
export function podScriptPath(testRun: Manifests["testRun"]): string {
  const script = (testRun as { spec: { script: { configMap?: { file: string }; localFile?: string } } }).spec.script;
  return script.localFile ?? `/test/${script.configMap?.file ?? SCRIPT_FILE}`;
}

/** k6-operator's `--execution-segment` pair for runner `index` (1-based) of `total`: equal parts (its segmentation package). */
export const segmentArgs = (index: number, total: number): string[] => segmentFlags(equalSegments(total)[index - 1] as Segment);

/**
 * The command k6-operator runs in runner `index` (1-based), as in its runner.go: `k6 run --quiet`,
 * the segment (parallelism > 1), the TestRun's arguments, the script, the REST address, `--paused`
 * (the starter resumes every runner together), and the instance and test-run tags.
 */
export function runnerCommand(testRun: Manifests["testRun"], index: number): string[] {
  const spec = (testRun as { spec: { parallelism: number; arguments?: string } }).spec;
  const name = (testRun as { metadata: { name: string } }).metadata.name;
  const command = ["k6", "run", "--quiet"];
  if (spec.parallelism > 1) command.push(...segmentArgs(index, spec.parallelism));
  command.push(...(spec.arguments ?? "").split(/\s+/).filter((a) => a.length > 0));
  command.push(podScriptPath(testRun), "--address=0.0.0.0:6565", "--paused");
  command.push("--tag", `instance_id=${index}`, "--tag", `testrun_name=${name}`);
  return command;
}

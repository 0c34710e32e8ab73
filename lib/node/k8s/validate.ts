import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureGoTool } from "../tools/go-tool";

// kubeconform (pinned in tools/kubeconform) over manifests, offline: every kind is checked against
// deploy/k8s/schemas/<kind>-<version>.json (made by deploy/k8s/schemas/generate.ts from Kubernetes'
// own OpenAPI, the TestRun one written from k6-operator's API types). No schema location on the
// network is given, so a kind without a schema here fails rather than being fetched or skipped.

export interface Validation {
  ok: boolean;
  /** kubeconform's own lines: one per problem, and its summary. */
  output: string;
}

export function schemaLocation(root: string): string {
  return join(root, "deploy", "k8s", "schemas", "{{.ResourceKind}}-{{.ResourceAPIVersion}}.json");
}

export function validateManifests(root: string, files: string[], log?: (line: string) => void): Validation {
  const bin = ensureGoTool(root, "kubeconform", log);
  const res = spawnSync(bin, ["-strict", "-summary", "-output", "text", "-schema-location", schemaLocation(root), ...files], { encoding: "utf8", timeout: 60_000 });
  return { ok: res.status === 0, output: `${res.stdout ?? ""}${res.stderr ?? ""}`.trim() };
}

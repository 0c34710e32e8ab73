// A loopback stand-in for the part of Grafana Cloud k6's API that the pinned k6's own `k6 cloud run`
// calls, so a test drives the real cloud client (k6 v2.2.0) end to end. k6 sends to K6_CLOUD_HOST_V6
// (cloudapi/config.go line 27, "for test purposes"); the calls and their order are
// internal/cmd/cloud.go `run` (lines 158–395) and internal/cloudapi/v6/api.go; paths and required
// fields come from the generated client it uses (github.com/grafana/k6-cloud-openapi-client-go,
// k6/api_load_tests.go, api_test_runs.go, and each model's requiredProperties):
//   POST /cloud/v6/validate_options              ValidateOptions → { vuh_usage, breakdown }
//   POST /cloud/v6/projects/{id}/load_tests      createTest: multipart `name` + `script` (the archive)
//   POST /cloud/v6/load_tests/{id}/start         StartTest → a test run
//   GET  /cloud/v6/test_runs/{id}                FetchTest, polled until status "completed"
// Every call is recorded with the token (Authorization) and stack (X-Stack-Id) it carried.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface CloudCall { method: string; path: string; authorization: string; stackId: string; contentType: string; body: Buffer }

export interface FakeK6Cloud {
  host: string;
  calls: CloudCall[];
  unknown: CloudCall[];
  close(): Promise<void>;
}

const NOW = "2026-12-01T00:00:00Z";
const VUH = { protocol_vuh: 0, browser_vuh: 0, base_total_vuh: 0, reduction_rate: 0, reduction_rate_breakdown: {} };

function testRun(id: number, testId: number, projectId: number, status: string) {
  const state = { type: status, entered: NOW };
  return {
    id, test_id: testId, project_id: projectId, started_by: "perfdo test", created: NOW, ended: status === "completed" ? NOW : null,
    note: "", retention_expiry: null, cost: null, status, status_details: state, status_history: [state], distribution: [],
    result: status === "completed" ? "passed" : null, result_details: null, options: {}, k6_dependencies: {}, k6_versions: {},
    max_vus: 1, max_browser_vus: 0, estimated_duration: 1, execution_duration: 1, is_starred: false,
    test_run_details_page_url: `https://example.invalid/runs/${id}`,
  };
}

export async function startFakeK6Cloud(): Promise<FakeK6Cloud> {
  const calls: CloudCall[] = [];
  const unknown: CloudCall[] = [];
  let polls = 0;
  const answer = (call: CloudCall): { status: number; body: unknown } => {
    let m: RegExpMatchArray | null;
    if (call.method === "POST" && call.path === "/cloud/v6/validate_options") return { status: 200, body: { vuh_usage: 0, breakdown: VUH } };
    if (call.method === "POST" && (m = call.path.match(/^\/cloud\/v6\/projects\/(\d+)\/load_tests$/))) {
      return { status: 201, body: { id: 4242, project_id: Number(m[1]), name: "perfdo", baseline_test_run_id: null, created: NOW, updated: NOW } };
    }
    if (call.method === "POST" && call.path === "/cloud/v6/load_tests/4242/start") return { status: 200, body: testRun(777, 4242, 0, "created") };
    if (call.method === "GET" && call.path === "/cloud/v6/test_runs/777") return { status: 200, body: testRun(777, 4242, 0, ++polls >= 2 ? "completed" : "running") };
    unknown.push(call);
    return { status: 404, body: { error: { code: "not_found", message: `no ${call.method} ${call.path} in this stand-in` } } };
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const call: CloudCall = {
        method: req.method ?? "GET", path: new URL(req.url ?? "/", "http://x").pathname, authorization: req.headers.authorization ?? "",
        stackId: String(req.headers["x-stack-id"] ?? ""), contentType: req.headers["content-type"] ?? "", body: Buffer.concat(chunks),
      };
      calls.push(call);
      const { status, body } = answer(call);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    unknown,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

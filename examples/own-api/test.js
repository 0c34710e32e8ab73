// A plain k6 script, as k6's documentation writes them: it knows nothing of perf.do or this
// harness. Two scenarios with different executors, k6 thresholds, tags, groups, setup and
// handleSummary. The API's address comes from BASE_URL (perfdo run passes its --target so).
import http from "k6/http";
import { check, group, sleep } from "k6";

const BASE_URL = __ENV.BASE_URL || "http://127.0.0.1:3000/api/v1";

export const options = {
  scenarios: {
    browse: { executor: "constant-vus", vus: 2, duration: __ENV.DURATION || "5s", exec: "browse", tags: { flow: "browse" } },
    buy: { executor: "constant-arrival-rate", rate: 10, timeUnit: "1s", duration: __ENV.DURATION || "5s", preAllocatedVUs: 5, maxVUs: 10, exec: "buy", tags: { flow: "buy" } },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    "http_req_duration{scenario:browse}": [`p(95)<${__ENV.BROWSE_P95_MS || 500}`],
    "http_req_duration{name:create item}": ["p(99)<1000"],
    checks: ["rate>0.99"],
  },
};

export function setup() {
  const res = http.get(`${BASE_URL}/hello`);
  check(res, { "API is up": (r) => r.status === 200 });
  return { startedAt: Date.now() };
}

export function browse() {
  group("catalog", () => {
    const res = http.get(`${BASE_URL}/hello`);
    check(res, { "hello says hello": (r) => r.body.trim() === "hello" });
    // Unnamed: one URL per item. k6 groups them by the `name` tag given here.
    const id = Math.floor(Math.random() * 100);
    http.get(`${BASE_URL}/items/${id}`, { tags: { name: "GET /items/:id" } });
  });
  sleep(0.1);
}

export function buy() {
  const res = http.post(`${BASE_URL}/items`, "widget", { tags: { name: "create item" } });
  check(res, { "created is 201": (r) => r.status === 201 });
}

// k6 calls this at the end with every metric; what it returns replaces k6's own summary.
export function handleSummary(data) {
  const iterations = data.metrics.iterations.values.count;
  const p95 = data.metrics.http_req_duration.values["p(95)"];
  const files = __ENV.SUMMARY_FILE ? { [__ENV.SUMMARY_FILE]: JSON.stringify({ iterations, p95 }) } : {};
  return { ...files, stdout: `\n${iterations} iterations, http_req_duration p(95) ${p95.toFixed(2)} ms\n` };
}

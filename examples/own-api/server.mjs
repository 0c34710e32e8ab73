// A small plain-text HTTP API to load-test, standing in for your own: no perf.do, no JSON.
//   node examples/own-api/server.mjs [port]     (default 3000; 0 picks a free one)
// Routes, under /api/v1: GET /hello → "hello", GET /items/<id> → "item <id>", POST /items → 201
// "created <n>", GET /slow?ms=<n> → waits n ms (at most 2,000) and answers "slept <n>".
// It prints `listening on http://127.0.0.1:<port>/api/v1` once it is ready, and stops on SIGINT or SIGTERM.
import { createServer } from "node:http";

const PREFIX = "/api/v1";
let created = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const text = (status, body) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
    res.end(`${body}\n`);
  };
  if (!url.pathname.startsWith(`${PREFIX}/`)) return text(404, `not found: ${url.pathname} (routes are under ${PREFIX})`);
  const path = url.pathname.slice(PREFIX.length);
  if (req.method === "GET" && path === "/hello") return text(200, "hello");
  const item = /^\/items\/([\w-]{1,64})$/.exec(path);
  if (req.method === "GET" && item) return text(200, `item ${item[1]}`);
  if (req.method === "POST" && path === "/items") {
    req.resume(); // the body is not read: the route counts
    return req.on("end", () => text(201, `created ${++created}`));
  }
  if (req.method === "GET" && path === "/slow") {
    const ms = Math.min(2000, Math.max(0, Number(url.searchParams.get("ms")) || 0));
    return void setTimeout(() => text(200, `slept ${ms}`), ms);
  }
  return text(404, `not found: ${req.method} ${url.pathname}`);
});

server.listen(Number(process.argv[2] ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}${PREFIX}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));

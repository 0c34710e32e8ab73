// npm run deploy:routes: writes the reference Worker's route list (deploy/src/route-list.ts) into
// deploy/README.md between its markers. test/unit/worker-features.test.ts fails when they differ.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURES } from "../deploy/src/features";
import { ROUTES_END, ROUTES_START, routeList } from "../deploy/src/route-list";

const file = join(import.meta.dirname, "..", "deploy", "README.md");
const text = readFileSync(file, "utf8");
const start = text.indexOf(ROUTES_START);
const end = text.indexOf(ROUTES_END);
if (start < 0 || end < start) {
  console.error(`deploy:routes: ${file} has no route-list markers (${ROUTES_START} … ${ROUTES_END})`);
  process.exit(2);
}
writeFileSync(file, text.slice(0, start) + routeList(FEATURES) + text.slice(end + ROUTES_END.length));
console.log(`deploy:routes: wrote the route list into ${file}`);

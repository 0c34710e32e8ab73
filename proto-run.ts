import { startLocalTarget } from "./lib/node/target/local.ts";
import { spawnSync } from "node:child_process";
const t = await startLocalTarget("/work/main/build/deploy/worker.mjs");
console.log("addr", t.address);
const r = spawnSync(".tools/bin/k6", ["run", "-q", "--summary-export=/tmp/proto/summary.json", "--out", "json=/tmp/proto/raw.json.gz", "-e", "PERFDO_TARGET=local", "-e", `PERFDO_LOCAL_ADDRESS=${t.address}`, "-e", "PERFDO_DURATION=5s", "-e", "PERFDO_RATE=20", process.argv[2]], { stdio: "inherit" });
console.log("exit", r.status);
console.log(await t.served());
await t.stop();

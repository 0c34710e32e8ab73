#!/usr/bin/env node
// The perfdo CLI. Node-side code is TypeScript, loaded through tsx (no separate compile step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../lib/node/cli.ts");
process.exitCode = await main(process.argv.slice(2));

import { resolve } from "node:path";
import { Command } from "commander";
import { buildAll } from "../../../esbuild.config.mjs";
import { parseDuration } from "../../k6/duration";
import { EXIT, PerfdoError } from "../errors";
import { childrenNamed, readProc } from "../run/resources";
import { startLocalTarget } from "../target/local";
import { duration, positiveNumber } from "./script-env";

// `perfdo serve`: the local Worker kept up on loopback for plain `k6 run`.

export function serveCommand(root: string): Command {
  return new Command("serve")
    .exitOverride()
    .description("start the local perf.do Worker on loopback so plain `k6 run build/<name>.js -e PERFDO_TARGET=local` can use it")
    .option("--port <n>", "port on 127.0.0.1", (v) => Math.trunc(positiveNumber(v)), 8787)
    .option("--for <d>", "stop by itself after this long (k6 units)", duration)
    .option("--delay-ms <n>", "add this many ms before every request (to see a regression get caught)", positiveNumber)
    .action(async (flags: { port: number; for?: string; delayMs?: number }) => {
      await buildAll({ root: root, names: [] });
      const local = await startLocalTarget(resolve(root, "build", "deploy", "worker.mjs"), { port: flags.port, delayMs: flags.delayMs });
      console.log(`perf.do Worker on ${local.address}; run: k6 run -e PERFDO_TARGET=local -e PERFDO_LOCAL_ADDRESS=${local.address} build/<scenario>.js`);
      // A Worker that dies must not leave a server that looks up: watch workerd and exit 5 if it goes.
      const workerd = childrenNamed(process.pid, "workerd");
      const died = await new Promise<boolean>((done) => {
        const timers: NodeJS.Timeout[] = [];
        const finish = (dead: boolean): void => {
          for (const t of timers) clearTimeout(t);
          done(dead);
        };
        process.once("SIGINT", () => finish(false));
        process.once("SIGTERM", () => finish(false));
        if (flags.for) timers.push(setTimeout(() => finish(false), parseDuration(flags.for) * 1000));
        timers.push(setInterval(() => workerd.length > 0 && workerd.every((pid) => readProc(pid) === null) && finish(true), 500));
      });
      if (died) {
        await local.stop().catch(() => undefined);
        throw new PerfdoError(`the local Worker (workerd pid ${workerd.join(", ")}) exited; serve stops`, EXIT.runFailed);
      }
      await local.stop();
    });
}

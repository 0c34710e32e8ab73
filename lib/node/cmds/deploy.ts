import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { isDomainName } from "../../k6/target";
import { EXIT, PerfdoError, inputError } from "../errors";

// `perfdo deploy` (npm run deploy): the reference Worker onto the caller's own Cloudflare account
// with the pinned wrangler. workers.dev by default, which every account has; routes only on a zone
// the caller names (--zone or PERFDO_ZONE), since a route in a zone the account lacks fails after the
// upload. The bearer token (PERFDO_TOKEN, from the environment) goes up as a wrangler secret through
// a file readable only by this user, deleted at once; it is never an argument (visible in `ps`) or
// printed. Without it the deployment keeps an earlier secret, or, on a first deploy, has none and
// refuses every request until one is set (deploy/src/access.ts).

const CONFIG = "deploy/wrangler.jsonc";

export interface DeployPlan { args: string[]; zone?: string; secretsFile?: string }

/** wrangler's arguments for a deploy; the zone, when named, adds its wildcard route and base domain. */
export function deployArgs(config: string, zone: string | undefined, options: { dryRun?: boolean; secretsFile?: string }): string[] {
  const args = ["deploy", "-c", config];
  if (zone) args.push("--route", `*.${zone}/*`, "--var", `BASE_DOMAIN:${zone}`);
  if (options.secretsFile) args.push("--secrets-file", options.secretsFile);
  if (options.dryRun) args.push("--dry-run", "--outdir", join(tmpdir(), "perfdo-deploy-dry-run"));
  return args;
}

/** Runs the pinned wrangler, its output shown as it comes and kept (stdout alone, and both streams). */
function runWrangler(root: string, args: string[]): Promise<{ code: number; stdout: string; output: string }> {
  return new Promise((done, failed) => {
    const child = spawn(process.execPath, [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), ...args], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["inherit", "pipe", "pipe"],
    });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("error", failed);
    child.on("close", (code) => done({ code: code ?? EXIT.internal, stdout, output }));
  });
}

/** The local target's own knobs: a deployment that sets one is open (no authentication, admin routes) or broken on purpose. */
const LOCAL_ONLY = ["PERFDO_LOCAL", "PERFDO_FAULT", "PERFDO_DELAY_MS", "PERFDO_CF_RAY_COLO"];

/** The local-only variables a wrangler configuration (JSONC) sets, in its vars or an environment's. */
export function localKnobsOf(configText: string): string[] {
  // Comments out first (a knob named in a comment sets nothing); strings stay whole.
  const code = configText.replace(/"(?:[^"\\]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m) => (m.startsWith('"') ? m : ""));
  return LOCAL_ONLY.filter((name) => new RegExp(`"${name}"\\s*:`).test(code));
}

/** The R2 buckets the configuration binds (`"bucket_name": "…"`). */
export const bucketsOf = (configText: string): string[] => [...configText.matchAll(/"bucket_name"\s*:\s*"([^"]+)"/g)].map((m) => m[1] as string);

/**
 * Creates each bound R2 bucket the account lacks: the API refuses an upload whose binding names a
 * missing bucket ("R2 bucket '<name>' not found … [code: 10085]") and wrangler deploy does not
 * create it. One that exists answers code 10004, which is fine.
 */
async function ensureBuckets(root: string, config: string): Promise<void> {
  for (const bucket of bucketsOf(readFileSync(config, "utf8"))) {
    const res = await runWrangler(root, ["r2", "bucket", "create", bucket, "-c", config]);
    if (res.code !== 0 && !/10004|already exists/.test(res.output)) throw new PerfdoError(`wrangler could not create the R2 bucket ${bucket} (exit ${res.code}); its message is above`, EXIT.deployFailed);
  }
}

export function deployCommand(root: string): Command {
  return new Command("deploy")
    .exitOverride()
    .description("deploy the reference Worker to your Cloudflare account (workers.dev; --zone adds *.<zone>/*); PERFDO_TOKEN from the environment becomes its bearer-token secret")
    .option("--zone <zone>", "a zone of your account: route *.<zone>/* to the Worker, namespaces as its subdomains (default: PERFDO_ZONE; none: workers.dev only)")
    .option("--config <file>", "the wrangler configuration", CONFIG)
    .option("--dry-run", "bundle and check with wrangler without uploading")
    .action(async (opts: { zone?: string; config: string; dryRun?: boolean }) => {
      const zone = (opts.zone ?? process.env.PERFDO_ZONE ?? "").trim().toLowerCase() || undefined;
      if (zone !== undefined && !isDomainName(zone)) throw inputError(`--zone "${zone}" is not a domain name (a zone of your account, e.g. example.com)`);
      const configFile = resolve(root, opts.config);
      if (!existsSync(configFile)) throw inputError(`--config ${opts.config}: no such file`);
      const knobs = localKnobsOf(readFileSync(configFile, "utf8"));
      if (knobs.length > 0) throw inputError(`${opts.config} sets ${knobs.join(", ")}: only the embedded local target may (PERFDO_LOCAL turns off authentication and opens the admin routes); remove ${knobs.length > 1 ? "them" : "it"} and deploy again`);
      const token = process.env.PERFDO_TOKEN;
      let dir: string | undefined;
      let secretsFile: string | undefined;
      if (token && !opts.dryRun) {
        dir = mkdtempSync(join(tmpdir(), "perfdo-deploy-"));
        secretsFile = join(dir, "secrets.json");
        writeFileSync(secretsFile, JSON.stringify({ PERFDO_TOKEN: token }), { mode: 0o600 });
      }
      let result: { code: number; stdout: string };
      try {
        if (!opts.dryRun) await ensureBuckets(root, resolve(root, opts.config));
        result = await runWrangler(root, deployArgs(resolve(root, opts.config), zone, { dryRun: opts.dryRun, secretsFile }));
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
      if (result.code !== 0) throw new PerfdoError(`wrangler deploy failed (exit ${result.code}); its message is above`, EXIT.deployFailed);
      if (opts.dryRun) return;
      const workersDev = result.stdout.match(/https:\/\/[a-z0-9.-]+\.workers\.dev/)?.[0];
      const where = zone ?? workersDev?.replace(/^https:\/\//, "");
      console.log("");
      if (!token) console.log("perfdo deploy: no PERFDO_TOKEN in the environment, so no token was set. A first deployment refuses every request until one is: npx wrangler secret put PERFDO_TOKEN -c deploy/wrangler.jsonc");
      if (zone) console.log(`perfdo deploy: the route *.${zone}/* needs a proxied DNS record for *.${zone} (for example AAAA * 100::, proxied) before requests reach the Worker`);
      if (where) console.log(`perfdo deploy: run against it with\n  PERFDO_TOKEN=<token> PERFDO_ALLOWED_DOMAINS=${where} npx perfdo run network/echo --target ${where}`);
    });
}

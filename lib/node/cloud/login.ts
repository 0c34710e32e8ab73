import { existsSync, readFileSync } from "node:fs";
import { homedir, platform } from "node:os";
import { join } from "node:path";

// Whether k6 will accept a `k6 cloud run`: k6 v2 needs a token and a Grafana Cloud stack for every
// cloud command (go.k6.io/k6/v2 v2.2.0, internal/cmd/cloud.go checkCloudLoginFor, lines 56–64:
// "access token not configured", "stack ID not configured"). Each comes from the environment
// (K6_CLOUD_TOKEN, K6_CLOUD_STACK_ID: cloudapi/config.go, lines 19–22) or from k6's own config file,
// which `k6 cloud login` writes: `collectors.cloud.token` and `.stackID` in K6_CONFIG, else
// <user config dir>/k6/config.json (cmd/state/state.go, GetDefaultFlags line 216 and getFlags line
// 230; the folder is Go's os.UserConfigDir). The environment wins, as in k6.

export interface CloudLogin {
  token: string | null;
  stackId: number | null;
  /** Where each came from, for messages: "K6_CLOUD_TOKEN" or the config file's path. */
  source: { token?: string; stackId?: string };
}

/** Go's os.UserConfigDir, the folder k6's default config file sits in. */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (platform() === "darwin") return join(env.HOME ?? homedir(), "Library", "Application Support");
  if (platform() === "win32") return env.AppData ?? join(homedir(), "AppData", "Roaming");
  return env.XDG_CONFIG_HOME || join(env.HOME ?? homedir(), ".config");
}

export const k6ConfigPath = (env: NodeJS.ProcessEnv = process.env): string => env.K6_CONFIG || join(userConfigDir(env), "k6", "config.json");

export function cloudLogin(env: NodeJS.ProcessEnv = process.env): CloudLogin {
  const file = k6ConfigPath(env);
  let cloud: { token?: unknown; stackID?: unknown } = {};
  if (existsSync(file)) {
    try {
      cloud = ((JSON.parse(readFileSync(file, "utf8")) as { collectors?: { cloud?: typeof cloud } }).collectors?.cloud ?? {}) as typeof cloud;
    } catch {
      cloud = {}; // k6 itself will say what is wrong with its file
    }
  }
  const login: CloudLogin = { token: null, stackId: null, source: {} };
  if (env.K6_CLOUD_TOKEN) {
    login.token = env.K6_CLOUD_TOKEN;
    login.source.token = "K6_CLOUD_TOKEN";
  } else if (typeof cloud.token === "string" && cloud.token) {
    login.token = cloud.token;
    login.source.token = file;
  }
  const envStack = Number(env.K6_CLOUD_STACK_ID);
  if (env.K6_CLOUD_STACK_ID && Number.isInteger(envStack) && envStack > 0) {
    login.stackId = envStack;
    login.source.stackId = "K6_CLOUD_STACK_ID";
  } else if (typeof cloud.stackID === "number" && Number.isInteger(cloud.stackID) && cloud.stackID > 0) {
    login.stackId = cloud.stackID;
    login.source.stackId = file;
  }
  return login;
}

/** One line saying what is missing for k6 to run in the cloud, or null when nothing is. */
export function missingLogin(login: CloudLogin, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!login.token) return `no Grafana Cloud k6 token: set K6_CLOUD_TOKEN or run \`k6 cloud login\` (k6 reads ${k6ConfigPath(env)}); nothing was sent`;
  if (!login.stackId) return `no Grafana Cloud stack: k6 v2 needs one for every cloud run; set K6_CLOUD_STACK_ID or run \`k6 cloud login --stack <slug>\` (k6 reads ${k6ConfigPath(env)}); nothing was sent`;
  return null;
}

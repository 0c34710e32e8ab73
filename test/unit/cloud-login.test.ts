import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cloudLogin, k6ConfigPath, missingLogin } from "../../lib/node/cloud/login";

// What k6 v2 needs for `k6 cloud run` (a token and a stack), found where k6 finds them: the
// environment first, then its own config file as `k6 cloud login` writes it.

describe("Grafana Cloud k6 login", () => {
  const home = mkdtempSync(join(tmpdir(), "perfdo-k6-login-"));
  const base = { HOME: home, XDG_CONFIG_HOME: join(home, ".config") };

  it("reads k6's default config file: a user logged in with `k6 cloud login` is accepted", () => {
    mkdirSync(join(home, ".config", "k6"), { recursive: true });
    writeFileSync(join(home, ".config", "k6", "config.json"), JSON.stringify({ collectors: { cloud: { token: "from-file", stackID: 1234 } } }));
    assert.equal(k6ConfigPath(base), join(home, ".config", "k6", "config.json"));
    const login = cloudLogin(base);
    assert.deepEqual([login.token, login.stackId], ["from-file", 1234]);
    assert.equal(missingLogin(login, base), null);
  });

  it("lets the environment win, as k6 does, and says which one is missing", () => {
    const env = { ...base, K6_CLOUD_TOKEN: "from-env", K6_CLOUD_STACK_ID: "77" };
    assert.deepEqual([cloudLogin(env).token, cloudLogin(env).stackId, cloudLogin(env).source.stackId], ["from-env", 77, "K6_CLOUD_STACK_ID"]);
    const bare = { HOME: home, K6_CONFIG: join(home, "absent.json") };
    assert.match(missingLogin(cloudLogin(bare), bare) ?? "", /^no Grafana Cloud k6 token/);
    const tokenOnly = { ...bare, K6_CLOUD_TOKEN: "t" };
    assert.match(missingLogin(cloudLogin(tokenOnly), tokenOnly) ?? "", /^no Grafana Cloud stack: k6 v2 needs one/);
  });
});

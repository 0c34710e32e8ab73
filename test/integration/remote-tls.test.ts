import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildWorker } from "../../esbuild.config.mjs";
import { startLocalTarget, type LocalTarget } from "../../lib/node/target/local";
import { startTlsFront, type TlsFront } from "../support/tls-front";
import { perfdo, readResults, ROOT, tempDir } from "./helpers";

// The remote path, rehearsed on loopback: `--target <domain>` with `--resolve <domain>=127.0.0.1:PORT`
// against the reference Worker behind TLS (a certificate authority and a wildcard certificate made
// here, trusted by k6 through SSL_CERT_FILE), as Cloudflare's edge terminates TLS in front of a
// Worker. Checked: https, the SNI and Host k6 sends, targetKind remote, coloServed from cf-ray.

const DOMAIN = "perfdo.test";

describe("remote target over TLS, rehearsed on loopback (--resolve)", () => {
  let worker: LocalTarget;
  let front: TlsFront;
  before(async () => {
    worker = await startLocalTarget(await buildWorker(ROOT), { baseDomain: DOMAIN, cfRayColo: "LHR" });
    front = await startTlsFront(tempDir("tls"), [`*.${DOMAIN}`, DOMAIN], worker.address);
  });
  after(async () => {
    await front?.close();
    await worker?.stop();
  });

  it("runs a scenario with --target <domain> end to end: https, SNI, Host, targetKind remote, coloServed from cf-ray", async () => {
    const results = tempDir("tls-results");
    await worker.resetServed();
    const res = await perfdo(
      ["run", "network/echo", "--target", DOMAIN, "--resolve", `${DOMAIN}=127.0.0.1:${front.port}`, "--profile", "smoke", "--iterations", "3", "--gate", "--quiet", "--results-dir", results],
      { PERFDO_ALLOWED_DOMAINS: DOMAIN, SSL_CERT_FILE: front.ca },
    );
    assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
    assert.ok(front.sni.has(`echo.${DOMAIN}`), `SNI seen: ${[...front.sni].join(", ")}`);
    const served = await worker.served();
    assert.equal(served["echo GET /ping"], 3, `the Worker named the namespace from Host: ${JSON.stringify(served)}`);
    const lines = readResults(results);
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.equal(line.targetKind, "remote");
      assert.equal(line.target, `echo.${DOMAIN}`);
      assert.equal(line.coloServed, "LHR", `${line.name}: coloServed`);
      assert.equal(line.errors, 0);
      // Remote by name, loopback in fact: the line says it was a rehearsal, and where it went.
      assert.equal(line.provenance.rehearsal, true);
      assert.match(line.provenance.rehearsalReason ?? "", /--resolve .*answered from loopback/);
      assert.equal(line.provenance.reachedLoopback, true);
      assert.ok(line.provenance.addresses.every((a) => a.startsWith("127.0.0.1:")), JSON.stringify(line.provenance.addresses));
    }
  });

  it("fails every request when k6 does not trust the certificate (the check that TLS is really verified)", async () => {
    const results = tempDir("tls-untrusted");
    const res = await perfdo(
      ["run", "network/echo", "--target", DOMAIN, "--resolve", `${DOMAIN}=127.0.0.1:${front.port}`, "--profile", "smoke", "--iterations", "1", "--quiet", "--results-dir", results],
      { PERFDO_ALLOWED_DOMAINS: DOMAIN, SSL_CERT_FILE: join(tempDir("no-ca"), "missing.pem") },
    );
    assert.match(res.stdout, /THRESHOLDS BREACHED/);
    const ping = readResults(results).find((l) => l.name === "echo.ping");
    assert.deepEqual([ping?.iterations, ping?.errors, ping?.errorRate], [1, 1, 1]);
  });
});

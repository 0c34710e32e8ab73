import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { createServer, type TLSSocket } from "node:tls";
import { after, before, describe, it } from "node:test";
import { buildWorker } from "../../esbuild.config.mjs";
import { startLocalTarget, type LocalTarget } from "../../lib/node/target/local";
import { perfdo, readResults, ROOT, tempDir } from "./helpers";

// The remote path, rehearsed on loopback: `--target <domain>` with `--resolve <domain>=127.0.0.1:PORT`
// against the reference Worker behind TLS (a certificate authority and a wildcard certificate made
// here, trusted by k6 through SSL_CERT_FILE), as Cloudflare's edge terminates TLS in front of a
// Worker. Checked: https, the SNI and Host k6 sends, targetKind remote, coloServed from cf-ray.

const DOMAIN = "perfdo.test";

function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=perfdo test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=*.${DOMAIN}`);
  writeFileSync(join(dir, "leaf.ext"), `subjectAltName=DNS:*.${DOMAIN},DNS:${DOMAIN}\nextendedKeyUsage=serverAuth\n`);
  run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "1", "-extfile", "leaf.ext");
  return { ca: join(dir, "ca.pem"), key: readFileSync(join(dir, "leaf.key"), "utf8"), cert: readFileSync(join(dir, "leaf.pem"), "utf8") };
}

describe("remote target over TLS, rehearsed on loopback (--resolve)", () => {
  let worker: LocalTarget;
  let tls: ReturnType<typeof createServer>;
  let ca: string;
  let tlsPort = 0;
  const sni = new Set<string>();
  before(async () => {
    const certs = makeCertificates(tempDir("tls"));
    ca = certs.ca;
    worker = await startLocalTarget(await buildWorker(ROOT), { baseDomain: DOMAIN, cfRayColo: "LHR" });
    const [host, port] = worker.address.split(":") as [string, string];
    tls = createServer({ key: certs.key, cert: certs.cert }, (socket: TLSSocket) => {
      if (socket.servername) sni.add(socket.servername);
      const upstream = connect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      const close = () => { socket.destroy(); upstream.destroy(); };
      socket.on("error", close);
      upstream.on("error", close);
    });
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    tlsPort = (tls.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => tls?.close(resolve));
    await worker?.stop();
  });

  it("runs a scenario with --target <domain> end to end: https, SNI, Host, targetKind remote, coloServed from cf-ray", async () => {
    const results = tempDir("tls-results");
    await worker.resetServed();
    const res = await perfdo(
      ["run", "network/echo", "--target", DOMAIN, "--resolve", `${DOMAIN}=127.0.0.1:${tlsPort}`, "--profile", "smoke", "--iterations", "3", "--gate", "--quiet", "--results-dir", results],
      { PERFDO_ALLOWED_DOMAINS: DOMAIN, SSL_CERT_FILE: ca },
    );
    assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
    assert.ok(sni.has(`echo.${DOMAIN}`), `SNI seen: ${[...sni].join(", ")}`);
    const served = await worker.served();
    assert.equal(served["echo GET /ping"], 3, `the Worker named the namespace from Host: ${JSON.stringify(served)}`);
    const lines = readResults(results);
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.equal(line.targetKind, "remote");
      assert.equal(line.target, `echo.${DOMAIN}`);
      assert.equal(line.coloServed, "LHR", `${line.name}: coloServed`);
      assert.equal(line.errors, 0);
    }
  });

  it("fails every request when k6 does not trust the certificate (the check that TLS is really verified)", async () => {
    const res = await perfdo(
      ["run", "network/echo", "--target", DOMAIN, "--resolve", `${DOMAIN}=127.0.0.1:${tlsPort}`, "--profile", "smoke", "--iterations", "1", "--quiet", "--no-results"],
      { PERFDO_ALLOWED_DOMAINS: DOMAIN, SSL_CERT_FILE: join(tempDir("no-ca"), "missing.pem") },
    );
    assert.match(res.stdout, /THRESHOLDS BREACHED/);
    assert.match(res.stdout, /echo\.ping\s*│\s*1\s*│[^\n]*1 \(100\.0%\)/);
  });
});

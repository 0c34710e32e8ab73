// TLS in front of a loopback Worker, as Cloudflare's edge terminates TLS in front of a deployed one:
// a certificate authority and a certificate for the given names (wildcards allowed), made here with
// openssl and trusted by k6 through SSL_CERT_FILE, and a TLS listener piping each connection to the
// Worker. Records the SNI names clients sent.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { createServer, type TLSSocket } from "node:tls";

export interface TlsFront { port: number; ca: string; sni: Set<string>; close(): Promise<void> }

export async function startTlsFront(dir: string, names: readonly string[], upstream: string): Promise<TlsFront> {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=perfdo test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${names[0]}`);
  writeFileSync(join(dir, "leaf.ext"), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
  run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "1", "-extfile", "leaf.ext");
  const [host, port] = upstream.split(":") as [string, string];
  const sni = new Set<string>();
  const tls = createServer({ key: readFileSync(join(dir, "leaf.key"), "utf8"), cert: readFileSync(join(dir, "leaf.pem"), "utf8") }, (socket: TLSSocket) => {
    if (socket.servername) sni.add(socket.servername);
    // No Nagle on either leg: with it, a small write waits for the peer's delayed ACK (~40 ms on
    // Linux), which the first version of this proxy added to every request.
    socket.setNoDelay(true);
    const up = connect({ port: Number(port), host, noDelay: true });
    socket.pipe(up).pipe(socket);
    const close = () => { socket.destroy(); up.destroy(); };
    socket.on("error", close);
    up.on("error", close);
  });
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  return {
    port: (tls.address() as AddressInfo).port,
    ca: join(dir, "ca.pem"),
    sni,
    close: () => new Promise((resolve) => tls.close(() => resolve())),
  };
}

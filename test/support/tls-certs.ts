/**
 * A throwaway PKI for TLS tests, made with the `openssl` command (Node can make keys but not
 * X.509 certificates): a CA, a server certificate for 127.0.0.1 and localhost, a client
 * certificate, and a second CA that signed none of them. Written to a temp dir removed when the
 * test ends.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Paths of the PEM files of {@link makeTestPki}. */
export interface TestPki {
  readonly dir: string;
  /** The CA that signed the server and client certificates. */
  readonly caFile: string;
  /** A CA that signed nothing here: trusting only it must fail. */
  readonly otherCaFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

function openssl(dir: string, args: readonly string[]): void {
  try {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const stderr =
      err instanceof Error && "stderr" in err && Buffer.isBuffer(err.stderr)
        ? err.stderr.toString("utf8")
        : "";
    throw new Error(
      `openssl ${args.join(" ")} failed (is openssl installed? apt-get install openssl): ${stderr}`,
      { cause: err },
    );
  }
}

/** `openssl req` arguments for a new P-256 key in `<name>.key`, subject `/CN=… <name>`. */
function newKey(name: string): string[] {
  const curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  return [...curve, "-keyout", `${name}.key`, "-subj", `/CN=kube-lookout test ${name}`];
}

/** A self-signed CA: `<name>.pem` and `<name>.key`. */
function makeCa(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", ...newKey(name), "-out", `${name}.pem`, "-days", "2"]);
}

/** A certificate signed by `ca.pem`: `<name>.pem` and `<name>.key`, with `extensions`. */
function makeLeaf(dir: string, name: string, extensions: string): void {
  openssl(dir, ["req", ...newKey(name), "-out", `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

/** Makes the PKI; `t.after` removes it. Throws naming openssl when it cannot. */
export function makeTestPki(t: { after(fn: () => unknown): void }): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "lookout-pki-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  makeLeaf(
    dir,
    "server",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  makeLeaf(dir, "client", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    otherCaFile: join(dir, "other-ca.pem"),
    serverCertFile: join(dir, "server.pem"),
    serverKeyFile: join(dir, "server.key"),
    clientCertFile: join(dir, "client.pem"),
    clientKeyFile: join(dir, "client.key"),
  };
}

/** nats-server arguments for TLS with `pki`; `verify` also requires client certificates. */
export function natsTlsArgs(pki: TestPki, verify: boolean): string[] {
  const args = ["--tls", "--tlscert", pki.serverCertFile, "--tlskey", pki.serverKeyFile];
  if (verify) args.push("--tlsverify", "--tlscacert", pki.caFile);
  return args;
}

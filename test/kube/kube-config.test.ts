import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import { after, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../src/kube/index.ts";
import { POD_RESOURCE, assertNoActiveHandles, codeOf, startServer } from "./http-server.ts";

after(assertNoActiveHandles);

const EMPTY_LIST =
  '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}';

function kubeConfig(
  server: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, ...cluster }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

void test("fromKubeConfig sends the bearer token", async (t) => {
  const server = await startServer(t, (_req, res) => res.end(EMPTY_LIST));
  const client = KubeClient.fromKubeConfig(
    kubeConfig(server.url, { token: "s3cr3t" }, { skipTLSVerify: true }),
  );
  t.after(() => client.close());
  await client.list(POD_RESOURCE, {});
  assert.equal(server.requests[0]!.headers.authorization, "Bearer s3cr3t");
});

void test("fromKubeConfig runs an exec credential plugin per request", async (t) => {
  const server = await startServer(t, (_req, res) => res.end(EMPTY_LIST));
  const credential = JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1beta1",
    kind: "ExecCredential",
    status: { token: "from-exec" },
  });
  const kc = kubeConfig(
    server.url,
    {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "sh",
        args: ["-c", `printf '%s' '${credential}'`],
      },
    },
    { skipTLSVerify: true },
  );
  const client = KubeClient.fromKubeConfig(kc);
  t.after(() => client.close());
  await client.list(POD_RESOURCE, {});
  assert.equal(server.requests[0]!.headers.authorization, "Bearer from-exec");
});

void test("a kubeconfig without a current cluster, or plain http without skip-TLS, or a proxy-url, is LOOKOUT_KUBE_CONFIG", () => {
  assert.throws(() => KubeClient.fromKubeConfig(new KubeConfig()), {
    code: "LOOKOUT_KUBE_CONFIG",
    name: "KubeConfigError",
  });
  assert.throws(() => KubeClient.fromKubeConfig(kubeConfig("http://127.0.0.1:1", { token: "x" })), {
    code: "LOOKOUT_KUBE_CONFIG",
  });
  const proxied = kubeConfig("https://127.0.0.1:1", {}, { proxyUrl: "http://127.0.0.1:3128" });
  assert.throws(() => KubeClient.fromKubeConfig(proxied), { code: "LOOKOUT_KUBE_CONFIG" });
});

void test("fromKubeConfig verifies the server with the CA and presents the client certificate", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kube-lookout-tls-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]): void => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.error !== undefined || r.status !== 0)
      throw new Error(`openssl ${args[0]} failed: ${r.stderr ?? String(r.error)}`);
  };
  if (spawnSync("openssl", ["version"]).error !== undefined) {
    t.skip("openssl is not on PATH: cannot make test certificates");
    return;
  }
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
  );
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  for (const [name, cn] of [
    ["server", "127.0.0.1"],
    ["client", "lookout-user"],
  ] as const) {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "1",
      ...(name === "server" ? ["-extfile", "san.ext"] : []),
    );
  }
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  const seen: Array<{ cn: unknown; authorization: string | undefined }> = [];
  const server = createServer(
    {
      key: read("server.key"),
      cert: read("server.crt"),
      ca: read("ca.crt"),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      seen.push({
        cn:
          req.socket instanceof TLSSocket ? req.socket.getPeerCertificate().subject?.CN : undefined,
        authorization: req.headers.authorization,
      });
      res.end(EMPTY_LIST);
    },
  );
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  const { port } = address;
  const b64 = (f: string): string => read(f).toString("base64");
  const kc = kubeConfig(
    `https://127.0.0.1:${port}`,
    { certData: b64("client.crt"), keyData: b64("client.key"), token: "tok" },
    { caData: b64("ca.crt") },
  );
  const client = KubeClient.fromKubeConfig(kc);
  t.after(() => client.close());
  const page = await client.list(POD_RESOURCE, {});
  assert.equal(page.resourceVersion, "1");
  assert.deepEqual(seen, [{ cn: "lookout-user", authorization: "Bearer tok" }]);
  // A context without a user still gets the cluster's CA.
  const userless = new KubeConfig();
  userless.loadFromOptions({
    clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, caData: b64("ca.crt") }],
    users: [],
    contexts: [{ name: "ctx", cluster: "c" }],
    currentContext: "ctx",
  });
  const anonymous = KubeClient.fromKubeConfig(userless);
  t.after(() => anonymous.close());
  // The server requires a client certificate, so the handshake gets past server verification
  // and then fails on the server's side: the error must not be a verification error.
  const anonymousError = await anonymous.list(POD_RESOURCE, {}).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(anonymousError !== undefined, "the server demands a client certificate");
  assert.notEqual(codeOf(anonymousError), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  assert.notEqual(codeOf(anonymousError), "SELF_SIGNED_CERT_IN_CHAIN");
  // Without the CA the server's certificate must be refused.
  const untrusting = KubeClient.fromKubeConfig(
    kubeConfig(`https://127.0.0.1:${port}`, { token: "tok" }),
  );
  t.after(() => untrusting.close());
  await assert.rejects(
    untrusting.list(POD_RESOURCE, {}),
    (err: unknown) =>
      codeOf(err) === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" ||
      codeOf(err) === "SELF_SIGNED_CERT_IN_CHAIN",
  );
});

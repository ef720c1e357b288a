/**
 * The package as an application installs it: Node strips no types under node_modules, so an
 * installed kube-lookout must run from the JavaScript its build emits (dist/). The test builds
 * it into a temp package laid out as `npm pack` lays it out (package.json, bin, dist), puts that
 * under a consumer's node_modules, and runs a consumer there: the sidecar embedded with the Helm
 * checker on (its worker threads load the built worker), the typed client, the CLI's bin; and
 * the consumer's TypeScript type-checks against the emitted declarations.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { assertNoActiveHandles } from "../support/handles.ts";
import { REPO_ROOT } from "./support.ts";

after(assertNoActiveHandles);

const run = promisify(execFile);
const NODE = process.execPath;
const TSC = join(REPO_ROOT, "node_modules/.bin/tsc");

const CONSUMER = `
import { createLookout, KubeClient, openStore } from "kube-lookout";
import { LookoutClient } from "kube-lookout/client";
import { startSimulatedCluster } from "kube-lookout/sim";

const INGRESS = "apiVersion: networking.k8s.io/v1beta1\\nkind: Ingress\\nmetadata:\\n  name: web\\n";
const sim = await startSimulatedCluster({ gitVersion: "v1.21.0" });
sim.load.seed("pods", 5);
sim.helm.install({ namespace: "shop", name: "web", manifest: INGRESS });
const client = new KubeClient({ server: sim.url });
const store = openStore({ path: ":memory:", allowMemory: true });
const lookout = createLookout({
  client,
  store,
  cluster: "c",
  helm: { maxThreads: 1 },
  resources: [{ resource: { group: "", version: "v1", resource: "pods" }, kind: "Pod" }],
});
await lookout.start();
await lookout.ready;
const api = new LookoutClient({ baseUrl: lookout.url! });
const pods = await api.list("pods");
const findings = await api.helmFindings();
console.log(JSON.stringify({ pods: pods.length, findings: findings.length }));
await lookout.close();
store.close();
client.close();
await sim.close();
`;

async function buildPackage(dir: string): Promise<string> {
  const pkg = join(dir, "node_modules", "kube-lookout");
  await mkdir(pkg, { recursive: true });
  await run(TSC, ["-p", join(REPO_ROOT, "tsconfig.build.json"), "--outDir", join(pkg, "dist")], {
    cwd: REPO_ROOT,
  });
  await cp(join(REPO_ROOT, "package.json"), join(pkg, "package.json"));
  await cp(join(REPO_ROOT, "bin"), join(pkg, "bin"), { recursive: true });
  // The dependencies, as npm would install them beside the package.
  for (const entry of await readdir(join(REPO_ROOT, "node_modules"))) {
    if (entry === "kube-lookout" || entry === ".bin" || entry.startsWith(".")) continue;
    // oxlint-disable-next-line eslint/no-await-in-loop -- a few hundred links
    await symlink(join(REPO_ROOT, "node_modules", entry), join(dir, "node_modules", entry));
  }
  return pkg;
}

void test("an installed package (under node_modules) runs from its build: embedded sidecar, Helm workers, client, bin, types", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-install-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pkg = await buildPackage(dir);
  await writeFile(join(dir, "package.json"), '{ "name": "consumer", "type": "module" }\n');
  await writeFile(join(dir, "main.ts"), CONSUMER);

  const { stdout } = await run(NODE, [join(dir, "main.ts")], { cwd: dir, timeout: 60_000 });
  const result: unknown = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
  assert.equal(Reflect.get(Object(result), "pods"), 5);
  assert.ok(Number(Reflect.get(Object(result), "findings")) > 0, stdout);

  const version = await run(NODE, [join(pkg, "bin", "kube-lookout.js"), "--version"]);
  assert.match(version.stdout, /^kube-lookout \d+\.\d+\.\d+/);

  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2024",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        types: ["node"],
      },
      include: ["main.ts"],
    }),
  );
  const typed = await run(TSC, ["-p", join(dir, "tsconfig.json")], { cwd: dir }).then(
    () => ({ code: 0, output: "" }),
    (err: unknown) => ({ code: 1, output: String(Reflect.get(Object(err), "stdout")) }),
  );
  assert.equal(typed.code, 0, typed.output);
});

void test("the consumer's type check fails on a wrong use, so the check above is real", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-install-bad-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await buildPackage(dir);
  await writeFile(join(dir, "package.json"), '{ "name": "consumer", "type": "module" }\n');
  await writeFile(
    join(dir, "main.ts"),
    'import { createLookout } from "kube-lookout";\ncreateLookout({ cluster: 1 });\n',
  );
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
      },
      include: ["main.ts"],
    }),
  );
  await assert.rejects(run(TSC, ["-p", join(dir, "tsconfig.json")], { cwd: dir }));
});

/**
 * `kube-lookout helm check`: error lines on one line and free of control characters, errors
 * about a whole namespace, and kubeconfig files that cannot be loaded.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test, type TestContext } from "node:test";
import { errorLine, formatMarkdown, formatTable } from "../../src/helm/report/index.ts";
import { startSimulatedCluster, type SimulatedCluster } from "../../src/sim/index.ts";
import { assertNoActiveHandles } from "../support/handles.ts";
import { parseReport, run, tempDir } from "./helm-fixtures.ts";

after(assertNoActiveHandles);

async function cluster(t: TestContext): Promise<{ sim: SimulatedCluster; kubeconfig: string }> {
  const sim = await startSimulatedCluster({ gitVersion: "v1.24.3" });
  t.after(() => sim.close());
  const kubeconfig = join(await tempDir(t), "kubeconfig");
  await writeFile(kubeconfig, sim.kubeConfigYaml());
  return { sim, kubeconfig };
}

/** ESC, BEL and the other control characters that are not whitespace. */
// oxlint-disable-next-line eslint/no-control-regex -- looking for control characters
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/;

void test("cluster mode, csv: each error is one line on stderr, as in files mode", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  sim.helm.install({
    namespace: "shop",
    name: "web",
    manifest:
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ok}\n---\n" +
      "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: [\n",
  });
  const r = await run(["helm", "check", "--kubeconfig", kubeconfig, "--format", "csv"]);
  assert.equal(r.code, 0, r.err);
  const lines = r.err.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, JSON.stringify(r.err));
  assert.match(lines[0]!, /^shop\/web: LOOKOUT_HELM_BAD_YAML: document 1 is not valid YAML: /);
  assert.doesNotMatch(lines[0]!, /:$/, "the trailing colon of the first line is dropped");
});

void test("control characters of a payload or a manifest never reach the terminal", async (t) => {
  const { sim, kubeconfig } = await cluster(t);
  // Not JSON: the parser's message quotes the payload, escape sequences included.
  sim.helm.putRaw("ops", "evil", 1, Buffer.from("\u001b]0;pwned\u0007").toString("base64"), {
    driver: "configmap",
  });
  // A readable release too: a check in which nothing could be decoded exits 1.
  sim.helm.install({ namespace: "ops", name: "fine", manifest: "kind: ConfigMap\n" });
  for (const format of ["table", "markdown", "csv"]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- formats run one at a time
    const r = await run(["helm", "check", "--kubeconfig", kubeconfig, "--format", format]);
    assert.equal(r.code, 0, r.err);
    const shown = format === "csv" ? r.err : r.out;
    assert.doesNotMatch(shown, CONTROL, `${format}: ${JSON.stringify(shown)}`);
    if (format === "markdown") {
      // Backslashes and brackets are escaped in Markdown: the page shows \u001b]0;….
      assert.ok(shown.includes("- `LOOKOUT_HELM_BAD_JSON` ops/evil: "), shown);
      assert.ok(shown.includes(String.raw`\\u001b\]0;pwned\\u0007`), shown);
    } else {
      assert.match(shown, /ops\/evil: LOOKOUT_HELM_BAD_JSON: /, format);
      assert.ok(shown.includes(String.raw`\u001b]0;pwned\u0007`), `${format}: shown escaped`);
    }
  }

  const dir = await tempDir(t);
  const file = join(dir, "cron.yaml");
  await writeFile(
    file,
    'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: "x\\e[2J\\a"\n',
  );
  for (const format of ["table", "markdown"]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- formats run one at a time
    const r = await run(["helm", "check", "--files", file, "--format", format]);
    assert.equal(r.code, 3, r.err);
    assert.doesNotMatch(r.out, CONTROL, `${format}: ${JSON.stringify(r.out)}`);
    const escaped =
      format === "markdown" ? String.raw`x\\u001b\[2J\\u0007` : String.raw`x\u001b[2J\u0007`;
    assert.ok(r.out.includes(escaped), `${format}: ${JSON.stringify(r.out)}`);
  }
  const json = await run(["helm", "check", "--files", file, "--format", "json"]);
  assert.equal(
    parseReport(json.out).findings[0]?.["name"],
    "x\u001b[2J\u0007",
    "JSON keeps the value as it is",
  );
});

void test("an error about a whole namespace (no release) is shown as the namespace alone", () => {
  const error = {
    namespace: "team-b",
    release: "",
    revision: 0,
    code: "LOOKOUT_HELM_FORBIDDEN",
    message: "secrets cannot be read: HTTP 403",
  };
  assert.equal(
    errorLine(error),
    "team-b: LOOKOUT_HELM_FORBIDDEN: secrets cannot be read: HTTP 403",
  );
  const report = { target: "v1.25.0", findings: [], errors: [error] };
  assert.ok(formatTable(report).includes("\n  team-b: LOOKOUT_HELM_FORBIDDEN: "));
  assert.ok(formatMarkdown(report).includes("\n- `LOOKOUT_HELM_FORBIDDEN` team-b: secrets "));
  assert.equal(
    errorLine({ ...error, namespace: "", release: "a.yaml" }),
    "a.yaml: LOOKOUT_HELM_FORBIDDEN: secrets cannot be read: HTTP 403",
  );
});

void test("a --kubeconfig that cannot be loaded: exit 1, the message names the file", async (t) => {
  const dir = await tempDir(t);
  const broken = join(dir, "broken.yaml");
  await writeFile(broken, "foo: [\n");
  for (const kubeconfig of [broken, dir]) {
    // oxlint-disable-next-line eslint/no-await-in-loop -- cases run one at a time
    const r = await run(["helm", "check", "--kubeconfig", kubeconfig, "--timeout", "5"]);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.out, "");
    assert.ok(
      r.err.startsWith(`kube-lookout helm check: --kubeconfig ${kubeconfig}: cannot load it: `),
      r.err,
    );
    assert.equal(r.err.split("\n").length, 2, `one line: ${JSON.stringify(r.err)}`);
    assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
  }
});

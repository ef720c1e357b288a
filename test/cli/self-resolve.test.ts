/**
 * From sources, the package's own entry points resolve to src/: a plugin file anywhere (outside
 * the package too) can import `kube-lookout/plugins` as the docs show, and `run` loads it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { resolvePackageToSources } from "../../src/cli/self-resolve.ts";
import { PLUGIN_KIND } from "../../src/plugins/index.ts";

void test("a plugin outside the package imports kube-lookout/plugins and kube-lookout/client", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "kl-plugin-outside-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "outside.ts");
  await writeFile(
    file,
    [
      'import { definePlugin } from "kube-lookout/plugins";',
      'import { LookoutClient } from "kube-lookout/client";',
      'export default definePlugin({ name: "outside", start() {} });',
      "export const client = typeof LookoutClient;",
    ].join("\n"),
  );
  resolvePackageToSources();
  resolvePackageToSources(); // once is enough; again is a no-op
  const loaded: unknown = await import(pathToFileURL(file).href);
  const plugin: unknown = Reflect.get(Object(loaded), "default");
  assert.equal(Reflect.get(Object(plugin), "kind"), PLUGIN_KIND);
  assert.equal(Reflect.get(Object(plugin), "name"), "outside");
  assert.equal(Reflect.get(Object(loaded), "client"), "function");
});

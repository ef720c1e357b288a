import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  CONFIG_DOC_PATH,
  EXAMPLE_CONFIG,
  envTable,
  renderConfigDoc,
  resolveConfig,
} from "../../src/config/index.ts";

const onDisk = readFileSync(new URL(`../../${CONFIG_DOC_PATH}`, import.meta.url), "utf8");

void test("docs/config.md is what the schema generates (run: npx node src/config/write-docs.ts)", () => {
  assert.equal(onDisk, renderConfigDoc());
});

void test("the doc lists every key's default and every variable", () => {
  for (const key of [
    "`store.synchronous`",
    "`api.host`",
    "`watch[].namespaces`",
    "`plugins[].module`",
  ])
    assert.ok(onDisk.includes(key), key);
  assert.match(onDisk, /\| `api\.host` +\| string +\| `"127\.0\.0\.1"`/);
  for (const v of envTable) assert.ok(onDisk.includes(`\`${v.name}\``), v.name);
});

void test("the example in the doc loads and validates", () => {
  const block = /```yaml\n([\s\S]*?)```/.exec(onDisk)?.[1];
  assert.equal(block, EXAMPLE_CONFIG);
  const c = resolveConfig({ text: block, env: {} });
  assert.equal(c.cluster.name, "prod-eu-1");
  assert.equal(c.watch.length, 2);
  assert.deepEqual(c.watch[0]?.namespaces, { labelSelector: "team in (payments,checkout)" });
  assert.deepEqual(c.watch[1]?.namespaces, ["payments", "checkout"]);
  assert.equal(c.watch[1]?.pageSize, 250);
  assert.equal(c.events.enabled, true);
  assert.equal(c.events.stream.maxAge, 72 * 3600);
  assert.equal(c.leaderElection.enabled, true);
});

/** The description cell of `key`'s row in the doc. */
function describedAs(key: string): string {
  const row = onDisk.split("\n").find((line) => line.startsWith(`| \`${key}\` `));
  assert.ok(row !== undefined, key);
  return row.split(" | ").at(-1) ?? "";
}

void test("the doc says what the code does: page size, Lease namespace, plugin names, env booleans", () => {
  assert.match(describedAs("helm.pageSize"), /discovery/, "discovery lists use it too");
  assert.match(describedAs("helm.pageSize"), /payload reads/);
  assert.match(describedAs("leaderElection.leaseNamespace"), /`POD_NAMESPACE`, else `default`/);
  assert.match(describedAs("plugins[].name"), /any other name is imported/);
  const envSection = onDisk.slice(onDisk.indexOf("## Environment variables"));
  assert.match(envSection, /`KUBE_LOOKOUT_KUBE_IN_CLUSTER` takes them\s+and `auto`/);
});

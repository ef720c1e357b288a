/**
 * `definePlugin`, `assertPlugin` and `isPlugin`: the duck-typed check every loaded value goes
 * through. Each rejection is `LOOKOUT_PLUGIN_INVALID` naming where the value came from and what
 * is wrong with it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  InvalidPluginError,
  PLUGIN_KIND,
  type Plugin,
  type PluginDefinition,
  assertPlugin,
  definePlugin,
  isPlugin,
} from "../../src/plugins/index.ts";

const NAME_RULE = "name must match ^[a-z0-9][a-z0-9._-]{0,62}$";

/** A plugin built by hand, as a module outside this package may export it. */
function byHand(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: PLUGIN_KIND, name: "by-hand", start() {}, ...overrides };
}

/** `definePlugin` as a caller without types (plain JavaScript) may call it. */
function defineUntyped(definition: unknown): Plugin {
  // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- a caller without types
  return definePlugin(definition as PluginDefinition);
}

const noop = (): void => {};
const toNumber = (raw: unknown): number => Number(raw);

/** Asserts `fn` throws `LOOKOUT_PLUGIN_INVALID` from `source` saying `problem`. */
function rejects(fn: () => unknown, source: string, problem: string, label: string): void {
  assert.throws(
    fn,
    (error: unknown) => {
      assert.ok(error instanceof InvalidPluginError, `${label}: ${String(error)}`);
      assert.equal(error.code, "LOOKOUT_PLUGIN_INVALID", label);
      assert.equal(error.name, "InvalidPluginError", label);
      assert.equal(error.source, source, label);
      assert.equal(error.message, `${source}: not a kube-lookout plugin: ${problem}`, label);
      return true;
    },
    label,
  );
}

void test("assertPlugin refuses a value that is not an object, naming its type and the source", () => {
  const cases: [unknown, string][] = [
    [null, "null"],
    [undefined, "undefined"],
    ["by-hand", "string"],
    [42, "number"],
    [true, "boolean"],
    [() => {}, "function"],
  ];
  for (const [value, type] of cases) {
    rejects(
      () => assertPlugin(value, "./my-plugin.js"),
      "./my-plugin.js",
      `expected an object, got ${type}`,
      type,
    );
  }
});

void test("assertPlugin refuses an object without the kube-lookout-plugin kind", () => {
  const problem = 'kind must be "kube-lookout-plugin" (use definePlugin)';
  for (const kind of [undefined, "kube-lookout-plugin ", "plugin", 1]) {
    const value = byHand({ kind });
    rejects(() => assertPlugin(value, "pkg/plugin"), "pkg/plugin", problem, String(kind));
  }
  // A definition without definePlugin is not yet a plugin.
  rejects(
    () => assertPlugin({ name: "bare", start() {} }, "pkg/plugin"),
    "pkg/plugin",
    problem,
    "bare",
  );
  rejects(() => assertPlugin([], "pkg/plugin"), "pkg/plugin", problem, "array");
});

void test("assertPlugin refuses a name that is not 1-63 lower-case letters, digits, '.', '_' or '-'", () => {
  const bad: unknown[] = [
    undefined,
    42,
    "",
    "Upper",
    "-leading-dash",
    ".leading-dot",
    "_leading-underscore",
    "has space",
    "a/b",
    "a:b",
    "a".repeat(64),
    "ok\n",
  ];
  for (const name of bad) {
    rejects(
      () => assertPlugin(byHand({ name }), "./p.js"),
      "./p.js",
      NAME_RULE,
      JSON.stringify(name) ?? "undefined",
    );
  }
  for (const name of ["a", "0", "a".repeat(63), "resource-metrics", "my.plugin_2-b"]) {
    assertPlugin(byHand({ name }), "./p.js");
    assert.ok(isPlugin(byHand({ name })), name);
  }
});

void test("assertPlugin refuses a missing or non-function start", () => {
  for (const [label, start] of [
    ["undefined", undefined],
    ["a string", "start"],
    ["an object", {}],
    ["null", null],
  ] as const) {
    rejects(
      () => assertPlugin(byHand({ start }), "./p.js"),
      "./p.js",
      "start must be a function",
      label,
    );
  }
  const { start: _dropped, ...withoutStart } = byHand();
  rejects(
    () => assertPlugin(withoutStart, "./p.js"),
    "./p.js",
    "start must be a function",
    "absent",
  );
  // An async start is a function too.
  assertPlugin(byHand({ start: async () => {} }), "./p.js");
});

void test("assertPlugin refuses a configSchema that is given but not a function", () => {
  for (const [label, configSchema] of [
    ["null", null],
    ["an object", {}],
    ["a string", "schema"],
    ["0", 0],
  ] as const) {
    rejects(
      () => assertPlugin(byHand({ configSchema }), "./p.js"),
      "./p.js",
      "configSchema must be a function when given",
      label,
    );
  }
  assertPlugin(byHand({ configSchema: undefined }), "./p.js");
  assertPlugin(byHand({ configSchema: (raw: unknown) => raw }), "./p.js");
});

void test("definePlugin returns a frozen copy with the kind set, leaving the definition as it was", () => {
  const definition = { name: "counter", start: noop, configSchema: toNumber };
  const plugin = definePlugin(definition);
  assert.equal(plugin.kind, PLUGIN_KIND);
  assert.equal(plugin.kind, "kube-lookout-plugin");
  assert.equal(plugin.name, "counter");
  assert.equal(Reflect.get(plugin, "start"), noop);
  assert.equal(Reflect.get(plugin, "configSchema"), toNumber);
  assert.ok(Object.isFrozen(plugin), "the plugin is frozen");
  assert.equal(Reflect.set(plugin, "name", "other"), false, "a frozen property cannot be set");
  assert.equal(plugin.name, "counter");
  assert.notEqual(plugin, definition);
  assert.deepEqual(Object.keys(definition), ["name", "start", "configSchema"]);
  assert.ok(isPlugin(plugin));
  assertPlugin(plugin, "definePlugin");
});

void test("definePlugin sets the kind even over a definition that carries another one", () => {
  const plugin = defineUntyped({ name: "relabelled", start() {}, kind: "other" });
  assert.equal(plugin.kind, PLUGIN_KIND);
});

void test("definePlugin throws LOOKOUT_PLUGIN_INVALID from definePlugin for a bad name, a missing start or a non-function configSchema", () => {
  rejects(() => definePlugin({ name: "Bad Name", start() {} }), "definePlugin", NAME_RULE, "name");
  rejects(
    () => definePlugin({ name: "x".repeat(64), start() {} }),
    "definePlugin",
    NAME_RULE,
    "long name",
  );
  rejects(
    () => defineUntyped({ name: "no-start" }),
    "definePlugin",
    "start must be a function",
    "start",
  );
  rejects(
    () => defineUntyped({ name: "bad-schema", start() {}, configSchema: { port: 1 } }),
    "definePlugin",
    "configSchema must be a function when given",
    "configSchema",
  );
});

void test("isPlugin is true exactly for what assertPlugin accepts, and never throws", () => {
  assert.equal(isPlugin(definePlugin({ name: "defined", start() {} })), true);
  assert.equal(isPlugin(byHand()), true);
  assert.equal(isPlugin(byHand({ configSchema: (raw: unknown) => raw })), true);
  const notPlugins: [unknown, string][] = [
    [null, "null"],
    [undefined, "undefined"],
    ["kube-lookout-plugin", "a string"],
    [{ name: "bare", start() {} }, "no kind"],
    [byHand({ name: "Bad" }), "bad name"],
    [byHand({ start: undefined }), "no start"],
    [byHand({ configSchema: 1 }), "bad configSchema"],
  ];
  for (const [value, label] of notPlugins) assert.equal(isPlugin(value), false, label);
});

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { missingOptionalEntries } from "../../scripts/lockfile-platforms.ts";

void test("package-lock.json lists every optional platform package, so `npm ci` accepts it", async () => {
  const lock: unknown = JSON.parse(
    await readFile(new URL("../../package-lock.json", import.meta.url), "utf8"),
  );
  assert.deepEqual(
    missingOptionalEntries(lock).map((m) => m.path),
    [],
    "run `npm run lockfile` after `npm install`",
  );
});

void test("a missing platform package gets the entry npm would write; an unknown one is an error", () => {
  const lock = {
    packages: {
      "": { devDependencies: { tool: "1.0.0" } },
      "node_modules/tool": {
        version: "1.0.0",
        dev: true,
        optionalDependencies: {
          "@tool/binding-linux-x64-musl": "1.0.0",
          "@tool/binding-linux-x64-gnu": "1.0.0",
        },
      },
      "node_modules/@tool/binding-linux-x64-gnu": { version: "1.0.0", dev: true, optional: true },
    },
  };
  assert.deepEqual(missingOptionalEntries(lock), [
    {
      path: "node_modules/@tool/binding-linux-x64-musl",
      entry: {
        version: "1.0.0",
        dev: true,
        optional: true,
        os: ["linux"],
        cpu: ["x64"],
        libc: ["musl"],
      },
    },
  ]);
  const odd = {
    packages: { "node_modules/x": { optionalDependencies: { "fsevents-ish": "2.0.0" } } },
  };
  assert.throws(() => missingOptionalEntries(odd), /fsevents-ish of node_modules\/x is missing/);
});

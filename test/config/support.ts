import assert from "node:assert/strict";
import {
  ConfigInvalidError,
  resolveConfig,
  type ConfigProblem,
  type ResolveConfigInput,
} from "../../src/config/index.ts";

/** Resolves `input` (env empty unless given), asserts it is invalid, returns its problems. */
export function problemsOf(input: ResolveConfigInput): readonly ConfigProblem[] {
  try {
    resolveConfig({ env: {}, ...input });
  } catch (error: unknown) {
    assert.ok(error instanceof ConfigInvalidError, `not a ConfigInvalidError: ${String(error)}`);
    assert.equal(error.code, "LOOKOUT_CONFIG_INVALID");
    assert.ok(error.problems.length > 0);
    return error.problems;
  }
  return assert.fail(`expected invalid: ${JSON.stringify(input)}`);
}

/** The one problem about `path`; fails when there is none. */
export function problemAt(problems: readonly ConfigProblem[], path: string): ConfigProblem {
  const found = problems.find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}; got ${JSON.stringify(problems)}`);
  return found;
}

/** Small assertions the test files share. */
import assert from "node:assert/strict";

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return assert.fail("expected a rejection");
}

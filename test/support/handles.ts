import assert from "node:assert/strict";

/**
 * Asserts that nothing but the test runner's own pipes keeps the process alive: no timers,
 * sockets or servers left by the suite. Waits a moment for closes to settle.
 */
export async function assertNoActiveHandles(): Promise<void> {
  const deadline = Date.now() + 2000;
  let left: string[] = [];
  for (;;) {
    left = process
      .getActiveResourcesInfo()
      .filter((r) => r !== "PipeWrap" && r !== "TTYWrap" && r !== "Immediate");
    if (left.length === 0 || Date.now() > deadline) break;
    // oxlint-disable-next-line eslint/no-await-in-loop -- polling
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(left, [], `active handles left: ${left.join(", ")}`);
}

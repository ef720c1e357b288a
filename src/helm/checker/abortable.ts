/**
 * Waiting for a promise that may never settle, with a way out.
 */

/**
 * Resolves or rejects as `promise` does, or rejects with `signal.reason` when `signal` aborts
 * first (at once when it already has). Leaves no listener on `signal` behind.
 */
export async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  const aborted = Promise.withResolvers<never>();
  const onAbort = (): void => aborted.reject(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([promise, aborted.promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The Lookout was closed: `start()` or `updateResources()` after `close()`, or `ready` when
 * `close()` came before readiness.
 */
export class LookoutClosedError extends Error {
  override readonly name = "LookoutClosedError";
  readonly code = "LOOKOUT_CLOSED";
  constructor(what: string) {
    super(`kube-lookout is closed: ${what}`);
  }
}

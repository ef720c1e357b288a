/** Errors of the leader election. */

/** A bad option of `LeaderElector` (`LOOKOUT_LEADER_INVALID_OPTION`), naming it. */
export class InvalidLeaderOptionError extends Error {
  override readonly name = "InvalidLeaderOptionError";
  readonly code = "LOOKOUT_LEADER_INVALID_OPTION";
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`leader election option ${option}=${JSON.stringify(value)}: expected ${expected}`);
    this.option = option;
    this.value = value;
  }
}

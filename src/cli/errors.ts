/** Errors of the command line: bad usage is reported with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "LOOKOUT_CLI_USAGE";
  /** The command whose help to show, or undefined for the top-level help. */
  readonly command: string | undefined;

  constructor(message: string, command?: string, options?: ErrorOptions) {
    super(message, options);
    this.command = command;
  }
}

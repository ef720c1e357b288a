/**
 * Reading a secret (a token, a password) from a file, as Kubernetes mounts a Secret: one place
 * for `run` (`events.nats.tokenFile`, `events.nats.passwordFile`) and `get --token-file`.
 */
import { readFileSync } from "node:fs";

/**
 * The text of the secret file at `path`, with surrounding whitespace (the trailing newline an
 * editor or `echo` adds) trimmed; the text is returned as read, even when empty (the caller
 * decides what an empty secret means). Synchronous. Throws an `Error` whose message names the
 * `setting` that gave the path (a configuration key or a flag) and the path,
 * `SETTING PATH: cannot read it: REASON`, with the file system's error as its `cause`.
 */
export function readSecretFile(path: string, setting: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error: unknown) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${setting} ${path}: cannot read it: ${why}`, { cause: error });
  }
}

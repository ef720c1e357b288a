/**
 * `npm run lockfile`: completes package-lock.json after `npm install` on these machines.
 *
 * The registry reached here serves only the packages a Linux machine installs: the native
 * binding packages of other platforms (oxlint's `@oxlint/binding-darwin-arm64`, …) answer 404,
 * so `npm install` leaves them out of the lockfile, and `npm ci` then refuses the lockfile
 * ("Missing: … from lock file"). This script adds the entry npm would have written for each
 * missing optional platform package: its version and the os/cpu/libc it is for, so `npm ci`
 * knows to skip it here and fetches it on a machine of that platform.
 * Run it after every `npm install` that changes dependencies; `npm test` checks the lockfile.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { completeLockfile } from "./lockfile-platforms.ts";

const path = new URL("../package-lock.json", import.meta.url);
const { lock, added } = completeLockfile(JSON.parse(readFileSync(path, "utf8")));
if (added > 0) writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(
  added === 0
    ? "package-lock.json: complete\n"
    : `package-lock.json: added ${added} platform entries\n`,
);

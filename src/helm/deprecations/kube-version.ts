/**
 * Kubernetes (and component) versions: parse `gitVersion` strings and `/version` documents,
 * compare, format. Only major, minor and patch are kept; vendor suffixes (`-eks-…`, `+k3s1`,
 * `-gke.1000`) and pre-release tags are dropped, since API availability changes per minor.
 */
import { BadVersionError } from "./errors.ts";
import { isRecord } from "./json-shape.ts";

/** A parsed version. `patch` is 0 when the input had none (`1.28`). */
export interface KubeVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

// v? MAJOR . MINOR [. PATCH] [ (-|+) suffix ]; numbers bounded to keep them exact.
const VERSION =
  /^v?(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(?:\.(0|[1-9]\d{0,8}))?(?:[-+][0-9A-Za-z][0-9A-Za-z.+-]*)?$/;

function display(input: unknown): string {
  if (typeof input === "string") return input;
  try {
    return JSON.stringify(input) ?? String(input);
  } catch {
    return String(input);
  }
}

/**
 * Parses a version such as `v1.29.3`, `v1.29.3-eks-4f4795d`, `v1.21.5+k3s1`, `v1.30.0-gke.1000`
 * or `1.28`. Throws {@link BadVersionError} (`LOOKOUT_HELM_BAD_VERSION`) naming the input for
 * anything else (including non-strings, surrounding spaces and leading zeros).
 */
export function parseKubeVersion(input: unknown): KubeVersion {
  if (typeof input !== "string") {
    throw new BadVersionError(display(input), `expected a string, got ${typeof input}`);
  }
  const m = VERSION.exec(input);
  if (m === null) {
    throw new BadVersionError(input, "expected vMAJOR.MINOR[.PATCH] with an optional -/+ suffix");
  }
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]) };
}

const DIGITS = /^(0|[1-9]\d{0,5})$/;

/**
 * Reads the JSON of the API server's `/version` (`{major:"1", minor:"29+", gitVersion:"v1.29.3-…"}`,
 * already parsed). Prefers `gitVersion`; when it is missing or unreadable, falls back to
 * `major`/`minor` with a trailing `+` stripped (patch 0). Throws {@link BadVersionError} when
 * neither works, naming the whole document.
 */
export function parseVersionInfo(info: unknown): KubeVersion {
  if (!isRecord(info)) {
    throw new BadVersionError(display(info), "expected a /version object");
  }
  const doc = info;
  let gitError: BadVersionError | undefined;
  if (doc["gitVersion"] !== undefined && doc["gitVersion"] !== "") {
    try {
      return parseKubeVersion(doc["gitVersion"]);
    } catch (error) {
      if (!(error instanceof BadVersionError)) throw error;
      gitError = error;
    }
  }
  const major = doc["major"];
  const minor = doc["minor"];
  if (typeof major === "string" && typeof minor === "string") {
    const minorDigits = minor.endsWith("+") ? minor.slice(0, -1) : minor;
    if (DIGITS.test(major) && DIGITS.test(minorDigits)) {
      return { major: Number(major), minor: Number(minorDigits), patch: 0 };
    }
  }
  throw new BadVersionError(
    display(info),
    "neither gitVersion nor major/minor is a readable version",
    gitError,
  );
}

/** Orders two versions: negative when `a` is older, 0 when equal, positive when newer. */
export function compareKubeVersions(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Formats as `vMAJOR.MINOR.PATCH`, or `vMAJOR.MINOR` when `minorOnly` is set. */
export function formatKubeVersion(version: KubeVersion, minorOnly = false): string {
  return minorOnly
    ? `v${version.major}.${version.minor}`
    : `v${version.major}.${version.minor}.${version.patch}`;
}

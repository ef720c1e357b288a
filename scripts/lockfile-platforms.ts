/**
 * Finds the optional platform packages a lockfile lacks (see complete-lockfile.ts) and builds
 * the entries npm writes for them.
 */

/** The os/cpu/libc a platform package is for, read from the end of its name. */
const PLATFORMS: ReadonlyArray<readonly [suffix: string, os: string, cpu: string, libc?: string]> =
  [
    ["android-arm-eabi", "android", "arm"],
    ["android-arm64", "android", "arm64"],
    ["darwin-arm64", "darwin", "arm64"],
    ["darwin-x64", "darwin", "x64"],
    ["freebsd-x64", "freebsd", "x64"],
    ["linux-arm-gnueabihf", "linux", "arm", "glibc"],
    ["linux-arm-musleabihf", "linux", "arm", "musl"],
    ["linux-arm64-gnu", "linux", "arm64", "glibc"],
    ["linux-arm64-musl", "linux", "arm64", "musl"],
    ["linux-ppc64-gnu", "linux", "ppc64", "glibc"],
    ["linux-riscv64-gnu", "linux", "riscv64", "glibc"],
    ["linux-riscv64-musl", "linux", "riscv64", "musl"],
    ["linux-s390x-gnu", "linux", "s390x", "glibc"],
    ["linux-x64-gnu", "linux", "x64", "glibc"],
    ["linux-x64-musl", "linux", "x64", "musl"],
    ["linux-arm64", "linux", "arm64"],
    ["linux-x64", "linux", "x64"],
    ["openharmony-arm64", "openharmony", "arm64"],
    ["win32-arm64-msvc", "win32", "arm64"],
    ["win32-ia32-msvc", "win32", "ia32"],
    ["win32-x64-msvc", "win32", "x64"],
    ["win32-arm64", "win32", "arm64"],
    ["win32-x64", "win32", "x64"],
  ];

/** The `packages` map of a parsed lockfile; throws when there is none. */
export function packagesOf(lock: unknown): Record<string, LockEntry> {
  if (
    typeof lock !== "object" ||
    lock === null ||
    !("packages" in lock) ||
    typeof lock.packages !== "object" ||
    lock.packages === null
  ) {
    throw new Error("package-lock.json has no packages map (lockfileVersion 3 expected)");
  }
  const packages: Record<string, LockEntry> = { ...lock.packages };
  return packages;
}

/**
 * Returns the lockfile with the missing entries added (`packages` keys sorted as npm sorts
 * them: the root first), and how many were added.
 */
export function completeLockfile(lock: unknown): { lock: object; added: number } {
  const packages: Record<string, unknown> = packagesOf(lock);
  const missing = missingOptionalEntries(lock);
  for (const { path, entry } of missing) packages[path] = entry;
  const keys = Object.keys(packages).sort((a, b) =>
    a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1,
  );
  const sorted = Object.fromEntries(keys.map((k) => [k, packages[k]]));
  const base = typeof lock === "object" && lock !== null ? lock : {};
  return { lock: { ...base, packages: sorted }, added: missing.length };
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  optionalDependencies?: Record<string, string>;
}

/** One entry to add: its key in `packages` and its value. */
export interface MissingEntry {
  readonly path: string;
  readonly entry: Record<string, unknown>;
}

/**
 * Lists, for a parsed package-lock.json (v3), every optional dependency that has no entry,
 * with the entry npm would write. Throws an Error naming a package whose platform it cannot
 * tell from its name.
 */
export function missingOptionalEntries(lock: unknown): MissingEntry[] {
  const packages = packagesOf(lock);
  const missing = new Map<string, MissingEntry>();
  for (const [key, pkg] of Object.entries(packages)) {
    for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
      const nested = key === "" ? `node_modules/${name}` : `${key}/node_modules/${name}`;
      const hoisted = `node_modules/${name}`;
      if (nested in packages || hoisted in packages || missing.has(hoisted)) continue;
      const platform = PLATFORMS.find(
        ([suffix]) => name.endsWith(`-${suffix}`) || name.endsWith(`/${suffix}`),
      );
      if (platform === undefined) {
        throw new Error(
          `optional dependency ${name} of ${key || "the root"} is missing and is no known platform package`,
        );
      }
      const [, os, cpu, libc] = platform;
      missing.set(hoisted, {
        path: hoisted,
        entry: {
          version,
          ...(pkg.dev === true ? { dev: true } : {}),
          optional: true,
          os: [os],
          cpu: [cpu],
          ...(libc === undefined ? {} : { libc: [libc] }),
        },
      });
    }
  }
  return [...missing.values()];
}

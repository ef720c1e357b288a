/**
 * The `yaml` package, loaded on first use. The fast path reads most rendered manifests without
 * it, so a worker thread that never falls back never pays for loading it (about a third of a
 * worker's start-up). `require` gives the same build an `import` does (its `node` export is
 * the CommonJS one).
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let lib: typeof Yaml | undefined;

/** The `yaml` module; loads it synchronously the first time. */
export function yamlLib(): typeof Yaml {
  if (lib === undefined) {
    const loaded: typeof Yaml = createRequire(import.meta.url)("yaml");
    lib = loaded;
  }
  return lib;
}

/**
 * When the CLI runs from TypeScript sources (a checkout, the container image), the package's
 * own entry points (`kube-lookout`, `kube-lookout/plugins`, `kube-lookout/client`,
 * `kube-lookout/sim`) resolve to those sources: their `exports` name the JavaScript in `dist/`,
 * which only a published package has. So a plugin loaded by `module:` can import the plugin API
 * as the docs show, wherever its file is (also outside the package, e.g. /etc/kube-lookout).
 * An installed package runs `dist/` and resolves them as any package does: nothing is done.
 */
import module from "node:module";

const SOURCES: Readonly<Record<string, string>> = {
  "kube-lookout": "../index.ts",
  "kube-lookout/plugins": "../plugins/index.ts",
  "kube-lookout/client": "../client/index.ts",
  "kube-lookout/sim": "../sim/index.ts",
};

let registered = false;

/** Registers the resolve hook once (Node >= 22.15 / 23.5; older Nodes keep the default). */
export function resolvePackageToSources(): void {
  if (registered || !import.meta.url.endsWith(".ts")) return;
  if (typeof module.registerHooks !== "function") return;
  registered = true;
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const source = SOURCES[specifier];
      if (source === undefined) return nextResolve(specifier, context);
      return { url: new URL(source, import.meta.url).href, shortCircuit: true };
    },
  });
}

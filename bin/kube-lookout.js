#!/usr/bin/env node
// Entry point for `npx kube-lookout`. From a checkout (and in the image) the TypeScript CLI runs
// through Node's type stripping; Node refuses to strip types under node_modules, so an installed
// package runs the JavaScript its `prepack` built into dist/.
import module from "node:module";

// Node's on-disk compile cache (Node >= 22.1; in os.tmpdir()/node-compile-cache): later starts
// skip parsing and type stripping. The variable passes it on to the Helm scan's worker threads,
// which otherwise strip and compile their modules again at every start. Best effort: a
// read-only /tmp only means no cache.
const cache = module.enableCompileCache?.();
if (cache?.directory !== undefined) process.env.NODE_COMPILE_CACHE ??= cache.directory;

const installed = import.meta.url.includes("/node_modules/");
const { main, exitWhenDone } = await import(
  installed ? "../dist/src/cli/main.js" : "../src/cli/main.ts"
);

await exitWhenDone(await main(process.argv.slice(2)));

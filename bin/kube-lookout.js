#!/usr/bin/env node
// Entry point for `npx kube-lookout`. From a checkout (and in the image) the TypeScript CLI runs
// through Node's type stripping; Node refuses to strip types under node_modules, so an installed
// package runs the JavaScript its `prepack` built into dist/.
const installed = import.meta.url.includes("/node_modules/");
const { main } = await import(installed ? "../dist/src/cli/main.js" : "../src/cli/main.ts");

process.exitCode = await main(process.argv.slice(2));

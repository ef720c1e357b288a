#!/usr/bin/env node
// Entry point for `npx kube-lookout`: runs the TypeScript CLI through Node's type stripping.
import { main } from "../src/cli/main.ts";

process.exitCode = await main(process.argv.slice(2));

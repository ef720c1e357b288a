/**
 * Writes docs/config.md from the schema: `npx node src/config/write-docs.ts` from anywhere (the
 * path is resolved from this file).
 */
import { writeFileSync } from "node:fs";
import { CONFIG_DOC_PATH, renderConfigDoc } from "./config-doc.ts";

const target = new URL(`../../${CONFIG_DOC_PATH}`, import.meta.url);
writeFileSync(target, renderConfigDoc());
process.stdout.write(`wrote ${target.pathname}\n`);

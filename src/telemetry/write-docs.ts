/**
 * Writes docs/metrics.md from the catalogue: `npx node src/telemetry/write-docs.ts` from the
 * repository root (or anywhere: the path is resolved from this file).
 */
import { writeFileSync } from "node:fs";
import { METRICS_DOC_PATH, renderMetricsDoc } from "./metrics-doc.ts";

const target = new URL(`../../${METRICS_DOC_PATH}`, import.meta.url);
writeFileSync(target, renderMetricsDoc());
process.stdout.write(`wrote ${target.pathname}\n`);

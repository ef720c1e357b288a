import assert from "node:assert/strict";
import { test } from "node:test";
import {
  HelmBadBase64Error,
  HelmBadGzipError,
  HelmBadJsonError,
  HelmBadPayloadError,
  HelmBadYamlError,
  HelmTooLargeError,
  SCAN_ISSUE_CODES,
  ScanPoolClosedError,
} from "../../../src/helm/decode/index.ts";

void test("SCAN_ISSUE_CODES holds exactly the codes of the errors a scan reports as issues", () => {
  const issues = [
    new HelmBadBase64Error("m", 1),
    new HelmBadGzipError("m"),
    new HelmTooLargeError("m", 10),
    new HelmBadJsonError("m"),
    new HelmBadPayloadError("m", "manifest"),
    new HelmBadYamlError("m", { documentIndex: 0, source: "manifest" }),
  ];
  assert.deepEqual(new Set(issues.map((e) => e.code)), SCAN_ISSUE_CODES);
  assert.equal(SCAN_ISSUE_CODES.has(new ScanPoolClosedError().code), false);
});

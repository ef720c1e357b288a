import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ManifestEncodingError,
  checkManifestText,
  decodeManifest,
} from "../../../src/helm/report/index.ts";

const TEXT = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nächtlich\n";

function utf16be(text: string): Buffer {
  return Buffer.from(text, "utf16le").swap16();
}

/** Asserts that `fn` throws a ManifestEncodingError for `path` found to be `encoding`. */
function assertRefused(fn: () => unknown, path: string, encoding: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ManifestEncodingError, String(error));
    assert.equal(error.code, "LOOKOUT_HELM_BAD_ENCODING");
    assert.equal(error.path, path);
    assert.equal(error.encoding, encoding);
    assert.ok(error.message.includes(path === "-" ? "standard input" : path), error.message);
    return true;
  });
}

void test("decodeManifest: UTF-16LE and UTF-16BE by their byte order mark, the mark dropped", () => {
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, "utf16le")]);
  const be = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]);
  assert.equal(decodeManifest(le, "le.yaml"), TEXT);
  assert.equal(decodeManifest(be, "be.yaml"), TEXT);
});

void test("decodeManifest: UTF-8 as readFile reads it, a UTF-8 byte order mark kept for the scanner", () => {
  assert.equal(decodeManifest(Buffer.from(TEXT), "a.yaml"), TEXT);
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]);
  assert.equal(decodeManifest(bom, "a.yaml"), bom.toString("utf8"));
  assert.equal(decodeManifest(bom, "a.yaml"), `\uFEFF${TEXT}`);
  const latin1 = Buffer.from("# caf\xe9\nkind: x\n", "latin1");
  assert.equal(decodeManifest(latin1, "a.yaml"), latin1.toString("utf8"));
  assert.equal(decodeManifest(new Uint8Array(0), "a.yaml"), "");
});

void test("decodeManifest: UTF-32, broken UTF-16 and NUL characters are refused, naming the file", () => {
  const le32 = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from("a\0\0\0")]);
  assertRefused(() => decodeManifest(le32, "w.yaml"), "w.yaml", "UTF-32LE");
  assertRefused(
    () => decodeManifest(Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x61]), "x.yaml"),
    "x.yaml",
    "UTF-32BE",
  );
  const odd = Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from("ab", "utf16le"),
    Buffer.from([0x41]),
  ]);
  assertRefused(() => decodeManifest(odd, "odd.yaml"), "odd.yaml", "UTF-16LE");
  assertRefused(
    () => decodeManifest(Buffer.from(TEXT, "utf16le"), "nobom.yaml"),
    "nobom.yaml",
    "unknown",
  );
});

void test("checkManifestText: UTF-16 read as UTF-8 (stdin as text) is refused naming stdin and the encoding", () => {
  assert.equal(checkManifestText(TEXT, "-"), TEXT);
  assert.equal(checkManifestText(`\uFEFF${TEXT}`, "-"), `\uFEFF${TEXT}`);
  const decoder = new TextDecoder();
  const le = decoder.decode(
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, "utf16le")]),
  );
  const be = decoder.decode(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]));
  assertRefused(() => checkManifestText(le, "-"), "-", "UTF-16LE");
  assertRefused(() => checkManifestText(be, "-"), "-", "UTF-16BE");
  assertRefused(() => checkManifestText("kind: a\0b\n", "-"), "-", "unknown");
});

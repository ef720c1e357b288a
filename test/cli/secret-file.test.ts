import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { readSecretFile } from "../../src/cli/secret-file.ts";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kl-secret-file-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

void test("readSecretFile: the file's text with surrounding whitespace trimmed, an empty one as empty", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "token"), "  s3cret-token\r\n\n");
  await writeFile(join(dir, "inner"), "two words\n");
  await writeFile(join(dir, "empty"), "\n");
  assert.equal(readSecretFile(join(dir, "token"), "events.nats.tokenFile"), "s3cret-token");
  assert.equal(readSecretFile(join(dir, "inner"), "--token-file"), "two words");
  assert.equal(readSecretFile(join(dir, "empty"), "--token-file"), "");
});

void test("readSecretFile: an unreadable file throws naming the setting and the path, the cause chained", async (t) => {
  const dir = await tempDir(t);
  const missing = join(dir, "missing");
  assert.throws(
    () => readSecretFile(missing, "events.nats.passwordFile"),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(
        error.message.startsWith(`events.nats.passwordFile ${missing}: cannot read it: ENOENT`),
        error.message,
      );
      assert.ok(error.cause instanceof Error);
      assert.equal(Reflect.get(error.cause, "code"), "ENOENT");
      return true;
    },
  );
  // A folder is no secret file either.
  assert.throws(
    () => readSecretFile(dir, "--token-file"),
    /^Error: --token-file \S+: cannot read it: EISDIR/,
  );
});

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { main } from "../../src/cli/main.ts";

interface Captured {
  out: string;
  err: string;
}

function capture(): Captured & { stdout: (t: string) => void; stderr: (t: string) => void } {
  const c = {
    out: "",
    err: "",
    stdout: (t: string) => void (c.out += t),
    stderr: (t: string) => void (c.err += t),
  };
  return c;
}

void test("help lists every command and exits 0", async () => {
  const io = capture();
  assert.equal(await main(["--help"], io), 0);
  for (const name of ["demo", "sim", "version", "help"])
    assert.match(io.out, new RegExp(`\\n  ${name} `));
});

void test("a command's --help shows its options with defaults", async () => {
  const io = capture();
  assert.equal(await main(["sim", "--help"], io), 0);
  assert.match(io.out, /--port PORT\s+Port to listen on .*\(default: 8001\)/);
  assert.match(io.out, /--kubeconfig FILE/);
});

void test("every command's --help has a usage line and examples", async () => {
  const commands = [
    ["run"],
    ["demo"],
    ["sim"],
    ["get"],
    ["helm", "check"],
    ["events", "tail"],
    ["config", "check"],
    ["config", "print"],
  ];
  for (const command of commands) {
    const io = capture();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one command at a time
    assert.equal(await main([...command, "--help"], io), 0, command.join(" "));
    assert.match(io.out, /Usage:|usage:/i, command.join(" "));
    assert.match(io.out, /\nExamples:\n  kube-lookout /, `${command.join(" ")} has examples`);
  }
});

void test("-h is --help for every command; help covers version and help too", async () => {
  for (const command of [
    ["run"],
    ["get"],
    ["helm", "check"],
    ["events", "tail"],
    ["config", "check"],
  ]) {
    const long = capture();
    const short = capture();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one command at a time
    assert.equal(await main([...command, "--help"], long), 0);
    // oxlint-disable-next-line eslint/no-await-in-loop -- one command at a time
    assert.equal(await main([...command, "-h"], short), 0, `${command.join(" ")}: ${short.err}`);
    assert.equal(short.out, long.out);
    assert.match(long.out, /\n  -h, --help +Show this help\./);
  }
  for (const argv of [
    ["help", "version"],
    ["version", "--help"],
    ["version", "-h"],
  ]) {
    const io = capture();
    // oxlint-disable-next-line eslint/no-await-in-loop -- one at a time
    assert.equal(await main(argv, io), 0, argv.join(" "));
    assert.match(io.out, /^Usage: kube-lookout version\n/, argv.join(" "));
  }
  const help = capture();
  assert.equal(await main(["help", "help"], help), 0);
  assert.match(help.out, /^Usage: kube-lookout help \[<command> \[<subcommand>\]\]\n/);
  const extra = capture();
  assert.equal(await main(["version", "now"], extra), 2);
  assert.match(extra.err, /version: takes no arguments/);
});

void test("an unknown command exits 2 and says which", async () => {
  const io = capture();
  assert.equal(await main(["frobnicate"], io), 2);
  assert.match(io.err, /unknown command "frobnicate"/);
});

void test("an unknown flag exits 2, names the flag and shows the command's help", async () => {
  const io = capture();
  assert.equal(await main(["sim", "--prot", "1"], io), 2);
  assert.match(io.err, /'--prot'/);
  assert.match(io.err, /Usage: kube-lookout sim/);
});

void test("a bad number names the flag and the value", async () => {
  const io = capture();
  assert.equal(await main(["sim", "--port", "http"], io), 2);
  assert.match(io.err, /--port must be a whole number from 0 to 65535, got "http"/);
});

void test("version prints the package version", async () => {
  const io = capture();
  assert.equal(await main(["version"], io), 0);
  const pkg: unknown = JSON.parse(
    await readFile(new URL("../../package.json", import.meta.url), "utf8"),
  );
  assert.ok(typeof pkg === "object" && pkg !== null && "version" in pkg);
  assert.equal(io.out, `kube-lookout ${String(pkg.version)}\n`);
});

void test("sim serves a cluster with seeded pods, writes a kubeconfig and stops on abort", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lookout-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, "kubeconfig");
  const controller = new AbortController();
  t.after(() => controller.abort());
  const io = capture();
  const listening = new Promise<string>((resolve) => {
    io.stdout = (text: string) => {
      io.out += text;
      const match = /listening on (\S+)/.exec(io.out);
      if (match !== null) resolve(match[1]!);
    };
  });
  const exit = main(["sim", "--port", "0", "--seed-pods", "7", "--kubeconfig", kubeconfig], {
    ...io,
    stdout: (text) => io.stdout(text),
    signal: controller.signal,
  });
  const url = await listening;
  const list: unknown = await (await fetch(`${url}/api/v1/pods`)).json();
  assert.ok(typeof list === "object" && list !== null && "items" in list);
  assert.ok(Array.isArray(list.items));
  assert.equal(list.items.length, 7);
  assert.ok((await readFile(kubeconfig, "utf8")).includes(`server: "${url}"`));
  controller.abort();
  assert.equal(await exit, 0);
  await assert.rejects(fetch(`${url}/version`));
});

void test("kubectl's short flags: -o, -n and -l are shown in help and accepted", async () => {
  const help = capture();
  assert.equal(await main(["get", "--help"], help), 0);
  assert.match(help.out, /\n  -o, --output FORMAT /);
  assert.match(help.out, /\n  -n, --namespace NAMESPACE /);
  assert.match(help.out, /\n  -l, --selector SELECTOR /);
  const check = capture();
  assert.equal(await main(["helm", "check", "--help"], check), 0);
  assert.match(check.out, /\n  -o, --format FORMAT /);
  // Parsed as the long flags: a bad value is reported under the long name.
  const bad = capture();
  assert.equal(await main(["get", "pods", "-o", "yaml"], bad), 2);
  assert.match(bad.err, /--output must be table or json, got "yaml"/);
  const format = capture();
  assert.equal(await main(["helm", "check", "--files", "-", "-o", "xml"], format), 1);
  assert.match(format.err, /xml/);
});

void test("get: a bad --url is a usage error naming the flag (exit 2)", async () => {
  const io = capture();
  assert.equal(await main(["get", "pods", "--url", "notaurl"], io), 2);
  // A name that is no path segment is refused before any request.
  assert.equal(await main(["get", "pods", "..", "--url", "http://127.0.0.1:9"], io), 2);
  assert.match(io.err, /--url must be an http\(s\) URL, got "notaurl"/);
});

void test("get: a --token-file that cannot be read is a usage error naming the flag (exit 2)", async () => {
  const io = capture();
  assert.equal(await main(["get", "pods", "--token-file", "/nonexistent/token"], io), 2);
  assert.match(
    io.err,
    /^kube-lookout get: --token-file \/nonexistent\/token: cannot read it: ENOENT/,
  );
});

/**
 * A kept RawObject must not keep alive the bytes it was cut from: not the response chunk, not
 * the stripped managedFields, not a parent string.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { RawObject } from "../../src/kube/index.ts";
import { parseListBody } from "../../src/kube/list-body.ts";
import { decodeWatchLine } from "../../src/kube/watch-event.ts";
import { WatchLineSplitter } from "../../src/kube/watch-lines.ts";
import { makePod } from "./pod-fixture.ts";

setFlagsFromString("--expose-gc");
const gcValue: unknown = runInNewContext("gc");
assert.ok(typeof gcValue === "function", "--expose-gc did not take effect");
const gc = (): unknown => Reflect.apply(gcValue, undefined, []);

function retained(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  // external covers array buffers and large external strings (e.g. big latin1 decodes).
  return m.heapUsed + m.external;
}

const COUNT = 100;
const BIG = 512 * 1024;

/** A pod whose managedFields hold `BIG` bytes, plus a `BIG` padding member outside it. */
function bigLine(i: number): Buffer {
  const pod = makePod(i);
  pod.metadata.managedFields = [{ manager: "x".repeat(BIG) }];
  const event = { type: "MODIFIED", object: pod, padding: "y".repeat(BIG) };
  return Buffer.from(`${JSON.stringify(event)}\n`);
}

/** Decodes `COUNT` big lines fed in two chunks each; returns only the objects. */
function decodeBigLines(): RawObject[] {
  const keep: RawObject[] = [];
  const splitter = new WatchLineSplitter();
  const lines: Buffer[] = [];
  for (let i = 0; i < COUNT; i++) {
    const bytes = bigLine(i);
    // Two chunks per line, so some lines are concatenated and some are views of a chunk.
    splitter.push(bytes.subarray(0, 1000), lines);
    splitter.push(bytes.subarray(1000), lines);
    for (const line of lines) {
      const ev = decodeWatchLine(line, true);
      assert.ok(ev.type === "MODIFIED");
      keep.push(ev.object);
    }
    lines.length = 0;
  }
  return keep;
}

void test("watch: kept objects retain neither chunks nor stripped bytes", (t) => {
  const before = retained();
  const keep = decodeBigLines();
  const perObject = (retained() - before) / COUNT;
  assert.equal(keep.length, COUNT);
  // About 2 KiB of JSON each; holding the line would be over 1 MiB each.
  assert.ok(perObject < 16 * 1024, `retained ${Math.round(perObject)} bytes per kept object`);
  t.diagnostic(`watch: ${Math.round(perObject)} bytes retained per kept object`);
});

/** Parses a list body of `COUNT` pods with big managedFields; returns only the items. */
function parseBigList(): RawObject[] {
  const pods = Array.from({ length: COUNT }, (_, i) => {
    const pod = makePod(i);
    pod.metadata.managedFields = [{ manager: "x".repeat(BIG / 8) }];
    return pod;
  });
  const body = Buffer.from(
    JSON.stringify({ kind: "PodList", metadata: { resourceVersion: "1" }, items: pods }),
  );
  return parseListBody(body, true).items;
}

void test("list: kept items retain neither the body nor stripped bytes", (t) => {
  const before = retained();
  const items = parseBigList();
  const perObject = (retained() - before) / COUNT;
  assert.equal(items.length, COUNT);
  // The body (about 64 KiB per item) must be freed when only the items are kept.
  assert.ok(perObject < 16 * 1024, `retained ${Math.round(perObject)} bytes per kept item`);
  t.diagnostic(`list: ${Math.round(perObject)} bytes retained per kept item`);
});

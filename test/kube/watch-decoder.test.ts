import assert from "node:assert/strict";
import { test } from "node:test";
import type { WatchEvent } from "../../src/kube/index.ts";
import { decodeWatchLine } from "../../src/kube/watch-event.ts";
import { WatchLineSplitter } from "../../src/kube/watch-lines.ts";
import { codeOf } from "./http-server.ts";
import { JsonGen, testSeed, type Json } from "./random-json.ts";

type Plain = Record<string, unknown>;

/** Events as plain data, comparable with deepEqual. */
function plain(ev: WatchEvent): Plain {
  if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED") {
    const o = ev.object;
    return {
      type: ev.type,
      name: o.name,
      namespace: o.namespace,
      uid: o.uid,
      rv: o.resourceVersion,
      labels: o.labels === undefined ? undefined : { ...o.labels },
      object: o.object,
    };
  }
  return { ...ev };
}

/** The event at `i`, which must not be a malformed line. */
function eventAt(events: Array<Plain | "malformed">, i: number): Plain {
  const e = events[i];
  assert.ok(typeof e === "object", `event ${i} is malformed or missing`);
  return e;
}

/** Feeds `chunks` through a splitter and the decoder; malformed lines become "malformed". */
function decodeChunks(chunks: Buffer[]): {
  events: Array<Plain | "malformed">;
  tail: Buffer | undefined;
} {
  const splitter = new WatchLineSplitter();
  const lines: Buffer[] = [];
  const events: Array<Plain | "malformed"> = [];
  for (const chunk of chunks) {
    splitter.push(chunk, lines);
    for (const line of lines) {
      try {
        events.push(plain(decodeWatchLine(line, true)));
      } catch (err) {
        assert.equal(codeOf(err), "LOOKOUT_KUBE_BAD_RESPONSE");
        events.push("malformed");
      }
    }
    lines.length = 0;
  }
  return { events, tail: splitter.end() };
}

const pod = (name: string, labels: Record<string, string>) => ({
  kind: "Pod",
  metadata: {
    name,
    namespace: "ünï",
    uid: "u-" + name,
    resourceVersion: "5",
    labels,
    managedFields: [{ m: "日本" }],
  },
  spec: { nodeName: "nøde-😀" },
});

const STREAM =
  [
    JSON.stringify({ type: "ADDED", object: pod("café", { app: "wéb", emoji: "😀😀" }) }),
    JSON.stringify({ type: "MODIFIED", object: pod("日本語", {}) }),
    '{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"9","annotations":{"k8s.io/initial-events-end":"true"}}}}',
    "this is not json ✗",
    JSON.stringify({ object: pod("order", { a: "b" }), type: "DELETED" }),
    '{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}}',
    '{"type":"ADDED"}',
    '{"type":"WHATEVER","object":{}}',
    '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"10"}}}',
  ].join("\n") + "\n";

void test("every split point of a multi-byte stream gives the same events", () => {
  const bytes = Buffer.from(STREAM, "utf8");
  const reference = decodeChunks([Buffer.from(bytes)]);
  assert.equal(reference.tail, undefined);
  assert.deepEqual(
    reference.events.map((e) => (typeof e === "string" ? e : e["type"])),
    [
      "ADDED",
      "MODIFIED",
      "BOOKMARK",
      "malformed",
      "DELETED",
      "ERROR",
      "malformed",
      "malformed",
      "BOOKMARK",
    ],
  );
  const added = eventAt(reference.events, 0);
  assert.equal(added["name"], "café");
  assert.deepEqual(added["labels"], { app: "wéb", emoji: "😀😀" });
  assert.ok(!JSON.stringify(added["object"]).includes("managedFields"));
  assert.deepEqual(reference.events[2], {
    type: "BOOKMARK",
    resourceVersion: "9",
    initialEventsEnd: true,
  });
  assert.deepEqual(reference.events[8], {
    type: "BOOKMARK",
    resourceVersion: "10",
    initialEventsEnd: false,
  });
  for (let k = 0; k <= bytes.length; k++) {
    const split = decodeChunks([Buffer.from(bytes.subarray(0, k)), Buffer.from(bytes.subarray(k))]);
    assert.deepEqual(split, reference, `split at byte ${k}`);
  }
  const oneByte = Array.from({ length: bytes.length }, (_, i) =>
    Buffer.from(bytes.subarray(i, i + 1)),
  );
  assert.deepEqual(decodeChunks(oneByte), reference, "one byte per chunk");
});

void test("three-way splits around multi-byte characters", () => {
  const bytes = Buffer.from(STREAM.split("\n").slice(0, 2).join("\n") + "\n", "utf8");
  const reference = decodeChunks([Buffer.from(bytes)]);
  for (let i = 0; i < bytes.length; i += 7) {
    for (let j = i; j <= bytes.length; j += 5) {
      const parts = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].map((p) =>
        Buffer.from(p),
      );
      assert.deepEqual(decodeChunks(parts), reference, `split at ${i}, ${j}`);
    }
  }
});

void test("a partial last line is returned by end(), whitespace-only tails are not", () => {
  const full = JSON.stringify({ type: "ADDED", object: pod("a", {}) });
  const { events, tail } = decodeChunks([Buffer.from(`${full}\n${full.slice(0, 40)}`)]);
  assert.equal(events.length, 1);
  assert.equal(tail?.toString(), full.slice(0, 40));
  assert.equal(decodeChunks([Buffer.from(`${full}\n  `)]).tail, undefined);
  assert.equal(decodeChunks([Buffer.from(`${full}\r\n`)]).events.length, 1, "CRLF framing");
  assert.equal(decodeChunks([Buffer.from("\n\n\n")]).events.length, 0, "empty lines are skipped");
});

void test("random watch streams in random chunks decode like JSON.parse (seeded)", () => {
  const seed = testSeed();
  const gen = new JsonGen(seed, false);
  try {
    for (let round = 0; round < 30; round++) {
      const objects = Array.from({ length: 20 }, () => gen.object());
      const types = objects.map(() => gen.pick(["ADDED", "MODIFIED", "DELETED"] as const));
      const text = objects
        .map(
          (o, i) =>
            `{${gen.ws()}"type":${gen.ws()}${gen.quote(types[i]!)},"object":${gen.serialize(o as Json)}}\n`,
        )
        .join("");
      const bytes = Buffer.from(text, "utf8");
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const n = 1 + gen.int(300);
        chunks.push(Buffer.from(bytes.subarray(at, at + n)));
        at += n;
      }
      const { events } = decodeChunks(chunks);
      assert.equal(events.length, objects.length);
      for (let i = 0; i < objects.length; i++) {
        const ev = eventAt(events, i);
        assert.equal(ev["type"], types[i]);
        const object = objects[i]!;
        const metadata = object["metadata"];
        assert.ok(typeof metadata === "object" && metadata !== null && !Array.isArray(metadata));
        const { managedFields: _, ...meta } = metadata;
        assert.deepEqual(ev["object"], { ...object, metadata: meta }, `round ${round} event ${i}`);
      }
    }
  } catch (err) {
    console.error(`watch decoder property test failed; replay with KUBE_TEST_SEED=${seed}`);
    throw err;
  }
});

void test("a long line in small chunks is split in linear time (no re-scan of held bytes)", () => {
  const big = Buffer.from(
    `${JSON.stringify({ type: "ADDED", object: { metadata: { name: "big" }, pad: "x".repeat(8 << 20) } })}\n`,
  );
  const splitter = new WatchLineSplitter();
  const lines: Buffer[] = [];
  const started = performance.now();
  for (let i = 0; i < big.length; i += 512) splitter.push(big.subarray(i, i + 512), lines);
  const ms = performance.now() - started;
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.length, big.length - 1);
  // 16k chunks: linear is a few ms; re-scanning or re-concatenating the held part is minutes.
  assert.ok(ms < 2000, `splitting took ${Math.round(ms)} ms`);
  const ev = decodeWatchLine(lines[0]!, true);
  assert.ok(ev.type === "ADDED" && ev.object.name === "big");
});

/**
 * A seeded generator of pod-like JSON texts for the scanner property tests: random key order,
 * whitespace and string escapes (`\uXXXX`, `\"`, surrogate pairs), look-alike keys (`name`,
 * `metadata`, `labels`, `managedFields`) nested in `spec` and `ownerReferences`.
 *
 * With {@link JsonGen.invalidRate} above 0, `serialize` sometimes writes text JSON.parse rejects
 * (bad literals and numbers, raw control characters, bad escapes, mismatched brackets, missing
 * or extra commas and colons, unquoted keys); with {@link JsonGen.duplicateRate} above 0 it
 * sometimes repeats an object's key with another value (a second `metadata`, a non-string `name`
 * after a string one, a second `managedFields` or `labels`, ...).
 */

import { mulberry32 as rng } from "../../src/sim/index.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PIECES = [
  "a",
  "z",
  "-",
  ".",
  "/",
  " ",
  "é",
  "ü",
  "😀",
  "日本",
  '"',
  "\\",
  "\n",
  "\t",
  "\u0001",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "name",
  "\u2028",
];
const LOOKALIKES = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "labels",
  "managedFields",
  "metadata",
];

const BAD_SCALARS = [
  "tru",
  "nul",
  "fals",
  "True",
  "nulll",
  "truex",
  "01",
  "-01",
  "-",
  "1.",
  ".5",
  "+1",
  "1e",
  "1e+",
  "1.e3",
  "0x1",
  "--1",
  "1.2.3",
  "Infinity",
  "NaN",
  "undefined",
  "'a'",
];
const BAD_ESCAPES = ["\\q", "\\u12G4", "\\u12", "\\x41", "\\'", "\\U0041", "\\a", "\\0"];
const BAD_RAW = ["\u0000", "\u0001", "\t", "\u001f", "\n", "\r"];

export class JsonGen {
  /** Chance that one serialized value is written invalid (0: always valid JSON). */
  invalidRate = 0;
  /** Chance that one serialized object gets a duplicate key (0: never). */
  duplicateRate = 0;
  /** How many faults and duplicates `serialize` wrote so far. */
  invalidMade = 0;
  duplicatesMade = 0;
  readonly #r: () => number;
  /** Whether whitespace may contain newlines (false for watch lines). */
  readonly #newlines: boolean;

  constructor(seed: number, newlines = true) {
    this.#r = rng(seed);
    this.#newlines = newlines;
  }

  int(n: number): number {
    return Math.floor(this.#r() * n);
  }

  chance(p: number): boolean {
    return this.#r() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  string(max = 8): string {
    let s = "";
    const n = this.int(max + 1);
    for (let i = 0; i < n; i++) s += this.pick(PIECES);
    return s;
  }

  /**
   * A key of at least two code units. Node 24.21's V8 has a JSON.parse bug with one-character
   * keys: after `JSON.parse('{"name":1,"\\\\":2}')`, `JSON.parse('{"name":1,"\\u00e9":2}')` returns
   * the key "\\" (reproduced in isolation; Node 20 is right). Our scanner is not involved, but the
   * tests compare against JSON.parse, so they stay clear of it.
   */
  key(): string {
    if (this.chance(0.3)) return this.pick(LOOKALIKES);
    const k = this.string(5);
    return k.length < 2 ? `k${k}-` : k;
  }

  value(depth: number): Json {
    const k = this.int(depth > 0 ? 8 : 5);
    switch (k) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.chance(0.5) ? this.int(100000) - 50000 : Number((this.#r() * 1e6).toFixed(3));
      case 3:
      case 4:
        return this.string();
      case 5:
      case 6: {
        const o: Record<string, Json> = {};
        const n = this.int(5);
        for (let i = 0; i < n; i++) o[this.key()] = this.value(depth - 1);
        return o;
      }
      default:
        return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
    }
  }

  /** A pod-like object with random metadata members in random order. */
  object(): Record<string, Json> {
    const meta = this.metadata();
    const top: Array<[string, Json]> = [
      ["apiVersion", "v1"],
      ["kind", "Pod"],
      ["metadata", meta],
      [
        "spec",
        {
          name: this.string(),
          metadata: { name: "nested", labels: { x: "y" } },
          items: this.value(3),
        },
      ],
      ["status", this.value(3)],
    ];
    const out: Record<string, Json> = {};
    for (const [key, value] of this.shuffle(top))
      if (key === "metadata" || this.chance(0.8)) out[key] = value;
    return out;
  }

  /** A random `metadata` object. */
  metadata(): Record<string, Json> {
    const meta: Record<string, Json> = {};
    const members: Array<[string, () => Json]> = [
      ["name", () => (this.chance(0.9) ? this.string(12) : this.int(10))],
      ["namespace", () => this.string(6)],
      ["uid", () => this.string(10)],
      ["resourceVersion", () => String(this.int(1e9))],
      [
        "labels",
        () => {
          if (this.chance(0.1)) return null;
          const labels: Record<string, Json> = {};
          const n = this.int(5);
          for (let i = 0; i < n; i++)
            labels[this.chance(0.1) ? "__proto__" : this.key()] = this.string(8);
          return labels;
        },
      ],
      ["managedFields", () => Array.from({ length: this.int(3) }, () => this.value(3))],
      ["annotations", () => ({ [this.key()]: this.string(), name: this.string() })],
      [
        "ownerReferences",
        () => [
          { name: this.string(), uid: this.string(), labels: { a: "b" }, metadata: { name: "x" } },
        ],
      ],
      ["generation", () => this.int(10)],
    ];
    for (const [key, make] of members) if (this.chance(0.75)) meta[key] = make();
    return meta;
  }

  shuffle<T>(items: T[]): T[] {
    const a = items.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  ws(): string {
    if (this.chance(0.6)) return "";
    return this.pick(this.#newlines ? [" ", "  ", "\t", "\n", "\r\n "] : [" ", "  ", "\t"]);
  }

  /** Serializes with random whitespace, random member order and random string escapes. */
  serialize(value: Json): string {
    if (value === null || typeof value === "boolean" || typeof value === "number") {
      if (this.#fault()) return this.pick(BAD_SCALARS);
      return JSON.stringify(value);
    }
    if (typeof value === "string") return this.quote(value);
    if (Array.isArray(value)) {
      const items = value.map((v) => this.serialize(v) + this.ws());
      if (items.length > 0 && this.#fault()) {
        const how = this.int(3);
        if (how === 0) return `[${items.join(",")}}`; // mismatched closer
        if (how === 1) return `[${items.join(",")},]`; // trailing comma
        return `[${items.join(" ")}${items.length > 1 ? "" : " 1"}]`; // missing comma
      }
      return `[${this.ws()}${items.join(`,${this.ws()}`)}]`;
    }
    const keys = this.shuffle(Object.keys(value));
    const members = keys.map(
      (k) => `${this.quote(k)}${this.ws()}:${this.ws()}${this.serialize(value[k]!)}${this.ws()}`,
    );
    if (keys.length > 0 && this.duplicateRate > 0 && this.chance(this.duplicateRate)) {
      this.duplicatesMade++;
      const key = this.pick(keys);
      const again = key === "metadata" && this.chance(0.7) ? this.metadata() : this.duplicate();
      members.splice(
        this.int(members.length + 1),
        0,
        `${this.quote(key)}:${this.serialize(again)}`,
      );
    }
    if (members.length > 0 && this.#fault()) {
      const how = this.int(5);
      const [first, ...rest] = members;
      if (how === 0) return `{${members.join(",")}]`; // mismatched closer
      if (how === 1) return `{${members.join(",")},}`; // trailing comma
      if (how === 2) return `{${members.join(",").replace(/^("(?:[^"\\]|\\.)*")\s*:/, "$1 ")}}`; // no colon
      if (how === 3)
        return `{k${this.int(9)}:1${members.length > 0 ? "," : ""}${members.join(",")}}`; // bare key
      return `{${[first!, "", ...rest].join(",")}}`; // empty member
    }
    return `{${this.ws()}${members.join(`,${this.ws()}`)}}`;
  }

  /** The value of a duplicate member: often a string, often not. */
  duplicate(): Json {
    return this.chance(0.4) ? this.string(6) : this.value(2);
  }

  quote(s: string): string {
    let out = '"';
    // By code point, so that a surrogate pair is escaped whole or not at all.
    for (const ch of s) {
      const code = ch.charCodeAt(0);
      if (ch === '"' || ch === "\\" || code < 0x20) {
        out += this.chance(0.5) ? JSON.stringify(ch).slice(1, -1) : uEscape(code);
      } else if (this.chance(0.1)) {
        for (let k = 0; k < ch.length; k++) out += uEscape(ch.charCodeAt(k));
      } else {
        out += ch;
      }
    }
    if (this.#fault()) {
      const bad = this.chance(0.5)
        ? this.pick(BAD_ESCAPES)
        : this.pick(this.#newlines ? BAD_RAW : BAD_RAW.slice(0, 4));
      const at = 1 + this.int(out.length);
      out = out.slice(0, at) + bad + out.slice(at);
    }
    return `${out}"`;
  }

  #fault(): boolean {
    if (this.invalidRate === 0 || !this.chance(this.invalidRate)) return false;
    this.invalidMade++;
    return true;
  }
}

function uEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** The seed from `KUBE_TEST_SEED`, else a random one. */
export function testSeed(): number {
  const env = process.env["KUBE_TEST_SEED"];
  return env !== undefined && env !== "" ? Number(env) : Math.floor(Math.random() * 2 ** 31);
}

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ChangeType } from "../../src/events/event-types.ts";
import {
  escapeToken,
  helmFilter,
  helmSubject,
  parseResourceSubject,
  resourceFilter,
  resourceSubject,
  unescapeToken,
  validatePrefix,
} from "../../src/events/subject.ts";

const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };
const PODS = { group: "", version: "v1", resource: "pods" };
const CERTS = { group: "cert-manager.io", version: "v1", resource: "certificates" };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof Error && "code" in err ? String(err.code) : `not typed: ${String(err)}`;
  }
  return undefined;
}

void describe("escapeToken / unescapeToken", () => {
  void test("keeps letters, digits and -; escapes everything else as uppercase %XX of UTF-8", () => {
    assert.equal(escapeToken("my-app-01"), "my-app-01");
    assert.equal(escapeToken("a.b"), "a%2Eb");
    assert.equal(escapeToken("_"), "%5F");
    assert.equal(escapeToken("%"), "%25");
    assert.equal(escapeToken("*>/: "), "%2A%3E%2F%3A%20");
    assert.equal(escapeToken("é"), "%C3%A9");
    assert.equal(escapeToken("😀"), "%F0%9F%98%80");
    assert.equal(escapeToken("\t\n"), "%09%0A");
  });

  void test("unescape inverts escape", () => {
    // A leading U+FEFF (a BOM) too: a decoder must not eat it.
    for (const text of [
      "a.b",
      "_",
      "%",
      "x y",
      "é😀",
      "ns_1.prod",
      "-",
      "A%2E",
      "\uFEFFprod",
      "a\uFEFF",
    ]) {
      assert.equal(unescapeToken(escapeToken(text)), text);
    }
  });

  void test("empty text and malformed tokens are typed errors", () => {
    assert.equal(
      code(() => escapeToken("")),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      code(() => escapeToken("\uD800")),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    for (const bad of [
      "",
      "%",
      "%2",
      "%2e",
      "%zz",
      "a.b",
      "a_b",
      "a*",
      "%41",
      "%2D",
      "%C3",
      "%FF",
      "é",
    ]) {
      assert.equal(
        code(() => unescapeToken(bad)),
        "LOOKOUT_EVENTS_INVALID_SUBJECT",
        bad,
      );
    }
  });
});

void describe("validatePrefix", () => {
  void test("accepts dot-separated tokens of [A-Za-z0-9_-]", () => {
    assert.equal(validatePrefix("kl"), "kl");
    assert.equal(validatePrefix("kube_lookout.events-1"), "kube_lookout.events-1");
  });
  void test("rejects wildcards, empty tokens and other characters, naming the value", () => {
    for (const bad of ["", ".", "kl.", ".kl", "kl..x", "kl.*", "kl.>", "k l", "kl/x"]) {
      try {
        validatePrefix(bad);
        assert.fail(`accepted ${JSON.stringify(bad)}`);
      } catch (err) {
        assert.ok(err instanceof Error && "code" in err && "value" in err);
        assert.equal(err.code, "LOOKOUT_EVENTS_INVALID_SUBJECT");
        assert.equal(err.value, bad);
      }
    }
  });
});

void describe("resourceSubject / helmSubject", () => {
  void test("builds the documented scheme", () => {
    assert.equal(
      resourceSubject({
        prefix: "kl",
        cluster: "prod",
        resource: DEPLOYMENTS,
        namespace: "payments",
        name: "api",
        type: "modified",
      }),
      "kl.prod.apps.v1.deployments.payments.api.modified",
    );
    assert.equal(
      resourceSubject({
        prefix: "kl.x",
        cluster: "prod",
        resource: PODS,
        namespace: "",
        name: "n.1",
        type: "added",
      }),
      "kl.x.prod.core.v1.pods._.n%2E1.added",
    );
    assert.equal(
      resourceSubject({
        prefix: "kl",
        cluster: "c",
        resource: CERTS,
        namespace: "_",
        name: "x",
        type: "deleted",
      }),
      "kl.c.cert-manager%2Eio.v1.certificates.%5F.x.deleted",
    );
    assert.equal(
      helmSubject({ prefix: "kl", cluster: "prod", namespace: "web", release: "my.app" }),
      "kl.prod.helm.web.my%2Eapp",
    );
  });

  void test("rejects empty parts, a group named core and unknown types", () => {
    const base = {
      prefix: "kl",
      cluster: "c",
      resource: PODS,
      namespace: "",
      name: "n",
      type: "added" as ChangeType,
    };
    assert.equal(
      code(() => resourceSubject({ ...base, name: "" })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      code(() => resourceSubject({ ...base, cluster: "" })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      code(() => resourceSubject({ ...base, prefix: "kl.*" })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      code(() => resourceSubject({ ...base, resource: { ...PODS, group: "core" } })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- a bad type on purpose
      code(() => resourceSubject({ ...base, type: "patched" as unknown as ChangeType })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      code(() => helmSubject({ prefix: "kl", cluster: "c", namespace: "", release: "r" })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
  });
});

void describe("parseResourceSubject", () => {
  void test("rejects other prefixes, wrong token counts, bad escapes and unknown types", () => {
    assert.equal(
      parseResourceSubject("kl.prod.apps.v1.deployments.ns.n.added", "other"),
      undefined,
    );
    assert.equal(parseResourceSubject("kl.prod.apps.v1.deployments.ns.added", "kl"), undefined);
    assert.equal(parseResourceSubject("kl.prod.apps.v1.deployments.ns.n.x.added", "kl"), undefined);
    assert.equal(parseResourceSubject("kl.prod.apps.v1.deployments.ns.n_1.added", "kl"), undefined);
    assert.equal(parseResourceSubject("kl.prod.apps.v1.deployments.ns.n.patched", "kl"), undefined);
    assert.equal(parseResourceSubject("klx.prod.apps.v1.deployments.ns.n.added", "kl"), undefined);
    assert.deepEqual(parseResourceSubject("kl.prod.core.v1.pods._.n%2E1.added", "kl"), {
      cluster: "prod",
      resource: PODS,
      namespace: "",
      name: "n.1",
      type: "added",
    });
  });

  void test("round-trips random names (seeded)", () => {
    const seed = Number(process.env["SEED"] ?? Date.now() % 1_000_000);
    let state = seed;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const alphabet = [
      "a",
      "Z",
      "0",
      "-",
      ".",
      "_",
      "%",
      "*",
      ">",
      " ",
      "/",
      ":",
      "é",
      "😀",
      "中",
      "2E",
      "%2E",
      "core",
      "_",
    ];
    const text = (min: number): string => {
      let s = "";
      const len = min + rand(8);
      for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
      return s;
    };
    const types: ChangeType[] = ["added", "modified", "deleted"];
    try {
      for (let i = 0; i < 2000; i++) {
        const group = rand(3) === 0 ? "" : `${text(1)}.${text(1)}`;
        const fields = {
          cluster: text(1),
          resource: { group, version: text(1), resource: text(1) },
          namespace: rand(3) === 0 ? "" : text(1),
          name: text(1),
          type: types[rand(3)] ?? "added",
        };
        const prefix = rand(2) === 0 ? "kl" : "kube_lookout.ev-1";
        const subject = resourceSubject({ prefix, ...fields });
        assert.equal(subject.split(".").length, prefix.split(".").length + 7, subject);
        assert.deepEqual(parseResourceSubject(subject, prefix), fields);
      }
    } catch (err) {
      console.error(`subject round-trip failed with SEED=${seed}`);
      throw err;
    }
  });
});

void describe("resourceFilter / helmFilter", () => {
  void test("missing fields are wildcards", () => {
    assert.deepEqual(resourceFilter({ prefix: "kl" }), {
      subject: "kl.*.*.*.*.*.*.*",
      types: new Set(["added", "modified", "deleted"]),
    });
    assert.equal(helmFilter({ prefix: "kl" }), "kl.*.helm.*.*");
    assert.equal(
      helmFilter({ prefix: "kl", cluster: "prod", namespace: "a.b" }),
      "kl.prod.helm.a%2Eb.*",
    );
  });

  void test("one type is its token, several are * with the set to filter on", () => {
    const one = resourceFilter({
      prefix: "kl",
      cluster: "prod",
      resource: DEPLOYMENTS,
      namespace: "payments",
      types: ["deleted"],
    });
    assert.equal(one.subject, "kl.prod.apps.v1.deployments.payments.*.deleted");
    assert.deepEqual(one.types, new Set(["deleted"]));
    const two = resourceFilter({
      prefix: "kl",
      resource: CERTS,
      namespace: "",
      name: "a.b",
      types: ["added", "deleted"],
    });
    assert.equal(two.subject, "kl.*.cert-manager%2Eio.v1.certificates._.a%2Eb.*");
    assert.deepEqual(two.types, new Set(["added", "deleted"]));
    assert.deepEqual(
      resourceFilter({ prefix: "kl", types: ["added", "added"] }).subject,
      "kl.*.*.*.*.*.*.added",
    );
  });

  void test("empty or unknown types and bad prefixes are typed errors", () => {
    assert.equal(
      code(() => resourceFilter({ prefix: "kl", types: [] })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      // oxlint-disable-next-line typescript/no-unsafe-type-assertion -- a bad type on purpose
      code(() => resourceFilter({ prefix: "kl", types: ["gone" as unknown as ChangeType] })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      code(() => resourceFilter({ prefix: "kl.>" })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
    assert.equal(
      code(() => helmFilter({ prefix: "kl", release: "" })),
      "LOOKOUT_EVENTS_INVALID_SUBJECT",
    );
  });
});

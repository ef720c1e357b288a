import assert from "node:assert/strict";
import { test } from "node:test";
import { formatGetTable, rowOf, type GetRow } from "../../src/cli/commands/get-table.ts";

void test("get table: header, columns padded to the widest cell, two spaces apart, age as kubectl shows it", () => {
  const now = Date.parse("2024-01-10T00:00:00Z");
  const rows = [
    rowOf(
      {
        metadata: {
          namespace: "kube-system",
          name: "a",
          creationTimestamp: "2024-01-09T23:59:30Z",
        },
      },
      now,
    ),
    rowOf(
      { metadata: { name: "cluster-wide-object", creationTimestamp: "2024-01-01T00:00:00Z" } },
      now,
    ),
    rowOf({ metadata: { namespace: 7, name: "odd" } }, now),
    rowOf(null, now),
  ];
  assert.equal(
    formatGetTable(rows),
    [
      "NAMESPACE    NAME                 AGE",
      "kube-system  a                    30s",
      "             cluster-wide-object  9d",
      "             odd                  -",
      "                                  -",
      "",
    ].join("\n"),
  );
  assert.equal(formatGetTable([]), "NAMESPACE  NAME  AGE\n");
});

void test("get table: 300,000 rows format without a stack overflow, widths from the widest row", () => {
  const rows: GetRow[] = [];
  for (let i = 0; i < 300_000; i++) rows.push({ namespace: "ns", name: `cm-${i}`, age: "1d" });
  rows.push({ namespace: "the-longest-namespace", name: "x", age: "2d" });
  const out = formatGetTable(rows);
  const lines = out.split("\n");
  assert.equal(lines.length, 300_003);
  assert.equal(lines[0], `${"NAMESPACE".padEnd(21)}  ${"NAME".padEnd(9)}  AGE`);
  assert.equal(lines[1], `${"ns".padEnd(21)}  ${"cm-0".padEnd(9)}  1d`);
  assert.equal(lines[300_001], "the-longest-namespace  x          2d");
});

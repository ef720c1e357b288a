/**
 * docs/config.md, generated from the schema and the env table. Tables are padded the way
 * prettier pads Markdown, so the file passes `prettier --check` as generated.
 */
import { envTable } from "./env.ts";
import { EXAMPLE_CONFIG } from "./example.ts";
import { configSchema } from "./schema.ts";
import { schemaLeaves, type SchemaLeaf } from "./schema-walk.ts";

/** Where the generated file lives, relative to the repository root. */
export const CONFIG_DOC_PATH = "docs/config.md";

const INTRO = `# Configuration

<!-- GENERATED from src/config/schema.ts by \`npx node src/config/write-docs.ts\`. Do not edit by hand: test/config/config-doc.test.ts fails when this file differs from what the schema generates. -->

The sidecar reads one YAML file, then \`KUBE_LOOKOUT_*\` environment variables, then \`--set\`
flags. Check a file with \`kube-lookout config check FILE\`; see what the sidecar would run with
(file + environment, secrets masked) with \`kube-lookout config print --config FILE\`.

## Precedence

Lowest first; each one overrides the keys it sets and leaves the others:

1. the defaults below;
2. the YAML file (\`--config FILE\`, else the file named by \`KUBE_LOOKOUT_CONFIG\`);
3. environment variables \`KUBE_LOOKOUT_*\` ([table](#environment-variables));
4. \`--set KEY=VALUE\` flags, repeatable, in order
   (\`--set store.path=/data/x.db --set watch[0].labelSelector=app=web\`). The value is read as YAML (\`8080\` is a number,
   \`[a, b]\` a list, \`{ labelSelector: x }\` an object), except for string keys, which take
   the text as is; for a list key, \`a,b\` is a two-item list and \`a\` a one-item list, each
   item read as in a variable (\`--set helm.targets.offsets=1,2\` gives \`[1, 2]\`). In the library, the same map is
   \`loadConfig({ flags: { "store.path": "/data/x.db" } })\`.

Why \`--set\` and not one flag per key: there are some seventy-five keys; one generic flag keeps the
command line, the file and the environment in one namespace (the key path) that this page
documents once.

## Validation

Every key is checked against the schema in one pass, and every problem is reported, one per
line, each naming the key path, the value and what is allowed, with the file position when the
value came from the file and the variable or flag when it came from there:

\`\`\`
lookout.yaml:4:3: store.synchronus: "NORMAL": unknown key; allowed: path, synchronous, maxSizeBytes, busyTimeoutMs (did you mean "synchronous"?)
lookout.yaml:10:15: events.batchDelay: "5x": expected a duration: seconds as a number (30) or a string like "250ms", "30s", "5m", "1h", "1h30m", "7d"
api.port: 99999: expected a number ≤ 65535 [from KUBE_LOOKOUT_API_PORT]
\`\`\`

Unknown keys are errors, never ignored (a typo must not silently fall back to a default). An
unknown \`KUBE_LOOKOUT_*\` variable is an error too. Checks across keys (events enabled without
a NATS server, NATS credentials and TLS files that go in pairs, lease timings, a duplicate
window longer than the stream's \`maxAge\`, a watch listed twice) run once the keys they read
are valid. Bounds are those of the component a key feeds (\`helm.versionInterval\` ≥ 1 s, lease
timings above 0, no \`:memory:\` store), so \`config check\` catches what a component would
refuse at start, short of what only the running sidecar reads (the secret files, \`OTEL_*\`
variables). In
code: \`ConfigInvalidError\` (\`LOOKOUT_CONFIG_INVALID\`) with \`problems\`; an unreadable file is
\`ConfigReadError\` (\`LOOKOUT_CONFIG_UNREADABLE\`).

## Durations

Every duration key (type \`duration\` below) takes seconds as a number (\`30\`, \`0.5\`) or a
string of unit-suffixed parts: \`250ms\`, \`30s\`, \`5m\`, \`1h\`, \`1h30m\`, \`7d\`. The loaded
configuration holds seconds; \`config print\` prints seconds. The sidecar hands durations to its
components in whole milliseconds (rounded), and a bound in the type column (\`duration ≥ 1s\`,
\`duration ≥ 1ms\`: above zero) applies to those milliseconds.

## Secrets

Secrets are never inline: the NATS token and password and the API's bearer token are read from
files (\`tokenFile\`, \`passwordFile\`), which is how Kubernetes mounts a Secret. A config file
is copied, printed (\`config print\`), logged and committed far more often than a Secret is, and
a variable shows up in \`kubectl describe pod\` and in \`/proc/PID/environ\`; a file mounted from
a Secret is readable only in the container and can be rotated without touching the config.
Writing \`token:\` or \`password:\` where a \`...File\` key exists is an error that names the
file key. \`config print\` and error messages mask secret-looking values anyway (plugin config
keys such as \`password\` or \`apiKey\`, OTLP headers, the password of a URL (all of the user info
up to the host's \`@\`, so a password holding \`@\` or \`,\` is hidden whole; a \`/\` in it must be
percent-encoded, as for any URL parser), a NATS token written as \`nats://TOKEN@host\`, the
value of a URL query parameter named like a credential:
\`api_key\`, \`key\`, \`token\`, \`access_token\`, \`password\`, \`secret\`, \`auth\`,
\`signature\`, \`sig\`, \`X-Amz-Credential\`, ... in any case) as \`***\`, and the logs hide
them too. Other query parameters (\`?region=eu\`) stay visible.

## Live reconfiguration

\`kube-lookout run\` reloads the configuration on SIGHUP and, with \`reload.watchFile\` (the
default), when the file changes (its directory is watched, so a mounted ConfigMap's symlink
swap counts). Only the \`watch\` list is applied live; a change elsewhere (compared with what
runs) is logged as taking effect at the next start, at every reload until then. The new list
goes through the schema, discovery (every resource must be served; a discovery request with no
answer for 30 s fails it) and the composition root's own checks (two entries feeding events of one resource,
in any of its versions, must not overlap; one resource is served in one version); if any fails, or an informer refuses
the new watch, the reload is refused with an error log naming the problem, what was started for
it is stopped again, and the running watches stay. \`kube_lookout_config_reloads_total{result}\` counts \`applied\`,
\`unchanged\` and \`rejected\`. The triggers are in place from the start of \`run\`: a file change or
SIGHUP while the sidecar is still starting (discovery, opening the state file) is applied once it
runs, against the configuration it started with (test/cli/run-reload-startup.test.ts). A change
made between reading the file and the start of its watch (a few ms) is caught too: the file's
inode, size and modification time are noted before it is read, and compared once the watch is
in place; if they differ, it reloads as for a change.

\`diffWatchConfig(old, next)\` compares entries by identity: group, version, resource,
namespaces (order of a list does not matter) and the label and field selectors (whitespace does
not matter). An entry with a new identity is \`added\`, a missing one \`removed\`; one whose
identity stayed but whose kind, page size, dropped fields or feeds changed is \`changed\`
(restarted; a change of \`resyncSeconds\` alone is reported as changed but keeps the watch, as
nothing uses a resync); the rest are \`unchanged\` and keep their watch: no relist, no event
lost or repeated. A started watch that feeds events begins with a catch-up against the stored
snapshots (objects changed or deleted while it was not watched get their events). The same
watch listed twice is an error.

\`namespaces: { labelSelector }\` watches \`namespaces\` with that selector (so the sidecar needs
list/watch on namespaces) and runs one watch per selected namespace, started and stopped as
namespaces are created, deleted or relabelled. \`dropFields\` is applied as the informer's
transform: neither the cache API nor the events ever hold the dropped fields.
\`resyncSeconds\` is accepted, so that configs that set it load, but nothing uses it: the
built-in consumers (cache, events, metrics) do not resync, and a plugin that wants a resync sets
its own period on its handler (\`informer.addEventHandler(handler, { resyncPeriodMs })\`).

## In code

\`src/config/index.ts\`: \`loadConfig({ file, env, flags })\` resolves to the validated
\`LookoutConfig\` (durations in seconds) or rejects with the errors above; \`resolveConfig\` does
the same from YAML text without I/O; \`printConfig(config)\` is the YAML of \`config print\`;
\`diffWatchConfig(old, next)\` and \`watchIdentity(entry)\` serve live reconfiguration;
\`configSchema\` is the zod schema, \`envTable\` the variables.
`;

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function code(text: string): string {
  return `\`${text}\``;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) =>
    Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function defaultText(leaf: SchemaLeaf): string {
  if (leaf.hasDefault) return cell(code(JSON.stringify(leaf.defaultValue)));
  return leaf.optional ? "—" : "required";
}

function keyRow(leaf: SchemaLeaf): string[] {
  const key = leaf.path.join(".").replaceAll(".[]", "[]");
  return [code(key), cell(leaf.type), defaultText(leaf), cell(leaf.description)];
}

const HEADER = ["Key", "Type", "Default", "Description"];

function keySections(): string {
  const leaves = schemaLeaves(configSchema);
  const tops = [...new Set(leaves.map((l) => l.path[0] ?? ""))];
  const parts: string[] = [];
  for (const top of tops) {
    const rows = leaves.filter((l) => l.path[0] === top && !l.path.includes("[]"));
    parts.push(`### ${code(top)}\n\n${table(HEADER, rows.map(keyRow))}\n`);
    const items = leaves.filter((l) => l.path[0] === top && l.path.includes("[]"));
    if (items.length > 0) {
      const title = top === "watch" ? "Watch entries" : `Each of ${code(top)}`;
      parts.push(`### ${title}\n\n${table(HEADER, items.map(keyRow))}\n`);
    }
  }
  return parts.join("\n");
}

function envSection(): string {
  const rows = envTable.map((v) => [
    code(v.name),
    code(v.path.join(".")),
    cell(v.kind === "list" ? `comma-separated ${v.leaf.type}` : v.leaf.type),
  ]);
  return `## Environment variables

One variable per key outside the lists of objects (\`watch\`, \`plugins\`) and maps
(\`telemetry.otlp.headers\`), which only the file and \`--set\` set: \`KUBE_LOOKOUT_\` and the key
path with each camelCase word upper-cased and joined by \`_\`. The table is fixed: a variable
not in it is an error (with the closest name), never guessed. Numbers, booleans (\`true\`,
\`false\`, \`1\`, \`0\`, \`yes\`, \`no\`, in any case; \`KUBE_LOOKOUT_KUBE_IN_CLUSTER\` takes them
and \`auto\`) and durations are parsed; a list is comma-separated, each item parsed by the
list's item type; an empty variable counts as unset. \`KUBE_LOOKOUT_CONFIG\` names the file when \`--config\` is not
given.

${table(["Variable", "Key", "Parsed as"], rows)}
`;
}

/** The full text of docs/config.md. */
export function renderConfigDoc(): string {
  return [
    INTRO,
    `## Keys\n\nDefaults apply to every key the file, the environment and the flags leave out.\n`,
    keySections(),
    envSection(),
    `## Example\n\n\`\`\`yaml\n${EXAMPLE_CONFIG}\`\`\`\n`,
  ].join("\n");
}

/**
 * `kube-lookout get RESOURCE [NAME]`: objects from a running sidecar's cache API (no API-server
 * request), as a table on a terminal or JSON with `-o json`.
 */
import {
  LookoutApiError,
  LookoutClient,
  LookoutClientInvalidOptionError,
} from "../../client/index.ts";
import type { Command } from "../args.ts";
import { stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { readSecretFile } from "../secret-file.ts";
import { formatGetTable, rowOf } from "./get-table.ts";

const NAME = "get";

/** `kube-lookout get`. */
export const getCommand: Command = {
  name: "get",
  short: "List objects from a running sidecar's cache API (no API-server request).",
  summary:
    "Reads a resource (pods, deployments.apps, …) from the cache API of a running " +
    "`kube-lookout run` (--url, default http://127.0.0.1:9464), with the same selectors as " +
    "kubectl; one object when NAME is given. A table by default, JSON with -o json.",
  usage:
    "kube-lookout get RESOURCE [NAME] [--url URL] [-n NS] [-l SELECTOR] [--field-selector SELECTOR] [-o table|json] [--token-file FILE]",
  positionals: {
    name: "RESOURCE [NAME]",
    description: "`pods`, `deployments.apps` (plural.group), …; NAME for one object.",
  },
  flags: {
    url: {
      type: "string",
      valueName: "URL",
      description: "The sidecar's API.",
      default: "http://127.0.0.1:9464",
    },
    namespace: {
      type: "string",
      short: "n",
      valueName: "NAMESPACE",
      description: "One namespace (default: all).",
    },
    selector: {
      type: "string",
      short: "l",
      valueName: "SELECTOR",
      description: "Label selector (`app=web`).",
    },
    "field-selector": { type: "string", valueName: "SELECTOR", description: "Field selector." },
    output: {
      type: "string",
      short: "o",
      valueName: "FORMAT",
      description: "table or json.",
      default: "table",
    },
    "token-file": {
      type: "string",
      valueName: "FILE",
      description: "File with the API's bearer token.",
    },
  },
  exitCodes: [
    [0, "Printed."],
    [1, "The API answered an error (its message is printed), or is unreachable."],
    [2, "Usage error."],
  ],
  examples: [
    "kube-lookout get pods --namespace shop --selector app=web",
    "kube-lookout get deployments.apps web --namespace shop --output json",
    "kube-lookout get configmaps --url http://10.0.0.7:9464 --token-file /var/run/token",
  ],
  async run(values, io, positionals) {
    if (positionals.length < 1 || positionals.length > 2) {
      throw new UsageError("expected RESOURCE and at most one NAME", NAME);
    }
    const [resource, name] = positionals;
    const output = stringFlag(values, "output") ?? "table";
    if (output !== "table" && output !== "json") {
      throw new UsageError(`--output must be table or json, got "${output}"`, NAME);
    }
    const namespace = stringFlag(values, "namespace");
    const tokenFile = stringFlag(values, "token-file");
    const url = stringFlag(values, "url") ?? "http://127.0.0.1:9464";
    let token: string | undefined;
    if (tokenFile !== undefined) {
      try {
        token = readSecretFile(tokenFile, "--token-file");
      } catch (error: unknown) {
        const message = error instanceof Error ? error.message : String(error);
        throw new UsageError(message, NAME, { cause: error });
      }
    }
    let client: LookoutClient;
    try {
      client = new LookoutClient({
        baseUrl: url,
        ...(token === undefined ? {} : { token }),
      });
    } catch (error: unknown) {
      if (!(error instanceof LookoutClientInvalidOptionError)) throw error;
      const message =
        error.option === "token"
          ? `--token-file ${tokenFile ?? ""} holds no usable token (empty, or with whitespace inside)`
          : `--url must be an http(s) URL, got "${url}"`;
      throw new UsageError(message, NAME, { cause: error });
    }
    try {
      if (name !== undefined) {
        const obj = await client.get(resource!, namespace ?? "", name, io.signal);
        io.stdout(
          output === "json"
            ? `${JSON.stringify(obj, null, 2)}\n`
            : formatGetTable([rowOf(obj, Date.now())]),
        );
        return 0;
      }
      const labelSelector = stringFlag(values, "selector");
      const fieldSelector = stringFlag(values, "field-selector");
      const items = await client.list(resource!, {
        ...(namespace === undefined ? {} : { namespace }),
        ...(labelSelector === undefined ? {} : { labelSelector }),
        ...(fieldSelector === undefined ? {} : { fieldSelector }),
        signal: io.signal,
      });
      if (output === "json") io.stdout(`${JSON.stringify(items, null, 2)}\n`);
      else io.stdout(formatGetTable(items.map((o) => rowOf(o, Date.now()))));
      return 0;
    } catch (error: unknown) {
      // A RESOURCE, NAME or -n that is no path segment ("", ".", "..", with "/").
      if (error instanceof LookoutClientInvalidOptionError) {
        throw new UsageError(error.message, NAME, { cause: error });
      }
      let message =
        error instanceof LookoutApiError || error instanceof Error ? error.message : String(error);
      // Without -n, one object is asked at the cluster-scoped path: a 404 that names no object
      // means there is no such path, which is what a namespaced resource gives.
      if (
        name !== undefined &&
        namespace === undefined &&
        error instanceof LookoutApiError &&
        error.statusCode === 404 &&
        error.status.details?.name === undefined
      ) {
        message += `; a namespaced resource needs -n NAMESPACE`;
      }
      io.stderr(`kube-lookout get: ${message}\n`);
      return 1;
    } finally {
      client.close();
    }
  },
};

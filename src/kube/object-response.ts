/** Reading one object's response body. */
import { KubeBadResponseError } from "./errors.ts";
import { rawObjectFromJson } from "./raw-object.ts";
import type { KubeObject, RawObject } from "./types.ts";

/** One object's response body as a RawObject; `LOOKOUT_KUBE_BAD_RESPONSE` when it is not one. */
export function objectOf<T extends KubeObject>(
  body: Buffer,
  options: { readonly stripManagedFields?: boolean },
): RawObject<T> {
  try {
    return rawObjectFromJson<T>(body.toString("utf8"), {
      stripManagedFields: options.stripManagedFields ?? true,
    });
  } catch (err) {
    if (err instanceof KubeBadResponseError) throw err;
    throw new KubeBadResponseError("object body is not a JSON object", undefined, { cause: err });
  }
}

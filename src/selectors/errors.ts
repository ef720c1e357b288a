/**
 * Errors of the selectors capability. Callers match on `code`, never on the message.
 */

/** Stable codes of {@link SelectorError}. */
export const SelectorErrorCode = {
  /** The selector text does not follow the grammar. */
  Parse: "LOOKOUT_SELECTOR_PARSE",
  /** A field selector names a field the resource does not support. */
  UnsupportedField: "LOOKOUT_SELECTOR_UNSUPPORTED_FIELD",
} as const;
/** One of the {@link SelectorErrorCode} values. */
export type SelectorErrorCode = (typeof SelectorErrorCode)[keyof typeof SelectorErrorCode];

/**
 * A selector could not be parsed or compiled. `input` is the whole selector text as given,
 * `field` the offending field label for {@link SelectorErrorCode.UnsupportedField}.
 */
export class SelectorError extends Error {
  override readonly name = "SelectorError";
  readonly code: SelectorErrorCode;
  readonly input: string;
  readonly field: string | undefined;

  constructor(
    code: SelectorErrorCode,
    message: string,
    input: string,
    options?: { field?: string; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.input = input;
    this.field = options?.field;
  }
}

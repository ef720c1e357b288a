/**
 * Files mode, the decoding part: a manifest file's bytes to text. Helm writes UTF-8, and so do
 * most tools, but Windows PowerShell's `>` and `Out-File` write UTF-16LE with a byte order mark
 * (FF FE): such a file is decoded, not read as UTF-8 (which gave one garbled scalar and a
 * misleading "document 0 is not a mapping"). Text that is not UTF-8 and says nothing of its
 * encoding (NUL characters: UTF-16 or UTF-32 without a byte order mark) is refused, naming the
 * file, since YAML allows no NUL and guessing could check something other than what was written.
 */
import { ManifestEncodingError, type ManifestEncoding } from "./errors.ts";

/** What a manifest may start with that names its encoding, longest first (UTF-32LE ⊃ UTF-16LE). */
const SIGNATURES: readonly [ManifestEncoding, readonly number[]][] = [
  ["UTF-32LE", [0xff, 0xfe, 0x00, 0x00]],
  ["UTF-32BE", [0x00, 0x00, 0xfe, 0xff]],
  ["UTF-16LE", [0xff, 0xfe]],
  ["UTF-16BE", [0xfe, 0xff]],
];

function signatureOf(bytes: Uint8Array): ManifestEncoding | undefined {
  for (const [encoding, mark] of SIGNATURES) {
    if (mark.every((b, i) => bytes[i] === b)) return encoding;
  }
  return undefined;
}

/** U+FFFD twice: how a UTF-8 decoder reads the UTF-16 byte order mark FF FE or FE FF. */
const UTF16_BOM_READ_AS_UTF8 = "\uFFFD\uFFFD";

/**
 * The text of a manifest's bytes (`path` names it in errors; `-` is stdin): UTF-16LE or
 * UTF-16BE when the bytes start with that byte order mark (the mark dropped), else UTF-8 as
 * `readFile(path, "utf8")` reads it (a UTF-8 byte order mark kept, for the scanner to drop;
 * bytes that are not UTF-8 read as U+FFFD). Pure. Throws {@link ManifestEncodingError}
 * (`LOOKOUT_HELM_BAD_ENCODING`) for UTF-32, for bytes after a UTF-16 mark that are not valid
 * UTF-16, and for text with a NUL character (see {@link checkManifestText}).
 */
export function decodeManifest(bytes: Uint8Array, path: string): string {
  const encoding = signatureOf(bytes);
  if (encoding === "UTF-32LE" || encoding === "UTF-32BE") {
    throw new ManifestEncodingError(path, encoding, "UTF-32 is not supported; save it as UTF-8");
  }
  if (encoding === "UTF-16LE" || encoding === "UTF-16BE") {
    let text;
    try {
      text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch (error: unknown) {
      throw new ManifestEncodingError(
        path,
        encoding,
        `it starts with the ${encoding} byte order mark but is not valid ${encoding} (an odd number of bytes, or a lone surrogate)`,
        { cause: error },
      );
    }
    return checkManifestText(text, path);
  }
  return checkManifestText(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes), path);
}

/**
 * `text` (a manifest already decoded as UTF-8 by the caller, such as stdin read as text) as it
 * is, or a {@link ManifestEncodingError} when it holds a NUL character: UTF-16 read as UTF-8
 * (named as such when it starts with the two U+FFFD of a UTF-16 byte order mark), or UTF-16 or
 * UTF-32 without a byte order mark. YAML allows no NUL, so no manifest is refused that could
 * have been read. Pure.
 */
export function checkManifestText(text: string, path: string): string {
  const nul = text.indexOf("\0");
  if (nul === -1) return text;
  if (text.startsWith(UTF16_BOM_READ_AS_UTF8)) {
    // ASCII in UTF-16LE is "X\0", in UTF-16BE "\0X", and the UTF-32LE mark is FF FE 00 00.
    const encoding = text.startsWith("\0\0", 2) ? "UTF-32LE" : nul === 2 ? "UTF-16BE" : "UTF-16LE";
    throw new ManifestEncodingError(
      path,
      encoding,
      `it is ${encoding} text (it starts with a byte order mark) that was read as UTF-8; convert it to UTF-8`,
    );
  }
  throw new ManifestEncodingError(
    path,
    "unknown",
    `it holds a NUL character (offset ${nul}), which YAML does not allow: UTF-16 or UTF-32 text without a byte order mark? Convert it to UTF-8`,
  );
}

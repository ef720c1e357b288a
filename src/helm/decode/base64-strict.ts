/**
 * Strict standard base64 (RFC 4648 section 4, padded, no whitespace): `Buffer.from(s, "base64")`
 * silently skips bad characters and accepts base64url, so the text is validated first.
 */
import { HelmBadBase64Error } from "./errors.ts";

/**
 * Decodes `text` (a string, or the ASCII bytes of one). Throws {@link HelmBadBase64Error} naming
 * `layer` when the text is empty, has a character outside the standard alphabet, or a length
 * that is not a multiple of 4.
 */
export function decodeBase64Strict(text: string | Buffer, layer: number): Buffer {
  const s = typeof text === "string" ? text : text.toString("latin1");
  if (s.length === 0) throw new HelmBadBase64Error(`base64 layer ${layer} is empty`, layer);
  if (s.length % 4 !== 0) {
    throw new HelmBadBase64Error(
      `base64 layer ${layer}: length ${s.length} is not a multiple of 4`,
      layer,
    );
  }
  // Node's decoder skips characters outside the alphabet (so fewer bytes come out than the
  // length promises) and also accepts base64url's "-" and "_": checking both is exact, and much
  // cheaper than a regular expression over the whole text. The regex only names the offset.
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const bytes = Buffer.from(s, "base64");
  if (bytes.length !== (s.length / 4) * 3 - pad || s.includes("-") || s.includes("_")) {
    const at = s.search(/[^A-Za-z0-9+/=]|=[^=]|=.*[^=]/);
    throw new HelmBadBase64Error(
      `base64 layer ${layer}: invalid character or padding at offset ${at < 0 ? "?" : at}`,
      layer,
    );
  }
  return bytes;
}

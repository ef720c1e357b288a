/**
 * Kubernetes quantities (apimachinery `resource.Quantity`) as numbers: `250m` → 0.25,
 * `3912Ki` → 4005888, `1.5Gi` → 1610612736, `2e3` → 2000, `1E` → 1e18.
 *
 * Grammar (apimachinery `quantity.go`): an optional sign, digits with an optional fraction
 * (`1`, `1.5`, `1.`, `.5`), then at most one suffix: binary SI (`Ki` `Mi` `Gi` `Ti` `Pi` `Ei`),
 * decimal SI (`n` `u` `m` "" `k` `M` `G` `T` `P` `E`) or a decimal exponent (`e3`, `E-2`).
 * The result is the double nearest to the exact decimal value: the mantissa and the decimal
 * exponent are handed to `Number` as one decimal literal (correctly rounded), and the binary
 * suffixes multiply by a power of two (exact).
 */
import { QuantityError } from "./errors.ts";

const SHAPE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE])([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const BINARY: Readonly<Record<string, number>> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

/**
 * The value of the quantity `text` (cores for CPU, bytes for memory). Throws
 * `QuantityError` (`LOOKOUT_RESOURCE_METRICS_BAD_QUANTITY`) for anything that is not a
 * quantity (empty, spaces, unknown suffix such as `K` or `KiB`, a bare suffix, `1e`) and for
 * values beyond the range of a double.
 */
export function parseQuantity(text: unknown): number {
  if (typeof text !== "string") throw new QuantityError(text, "not a string");
  const m = SHAPE.exec(text);
  if (m === null) throw new QuantityError(text, "not <number><suffix>");
  const [, sign = "", digits = "", exponentMark, exponent, suffix] = m;
  let decimal = 0;
  let binary = 0;
  if (exponentMark !== undefined) decimal = Number(exponent);
  else if (suffix !== undefined) {
    decimal = DECIMAL[suffix] ?? 0;
    binary = BINARY[suffix] ?? 0;
  }
  const value = Number(`${sign}${digits}e${decimal}`) * 2 ** binary;
  if (!Number.isFinite(value)) throw new QuantityError(text, "out of range");
  return value === 0 ? 0 : value; // no -0
}

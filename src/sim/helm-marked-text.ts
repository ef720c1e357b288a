/**
 * Texts with markers for the revision and versions, split once and filled per revision: the
 * seeded population renders each release's documents once and each revision by concatenation.
 */

// None of the markers can occur in rendered text, and JSON escaping leaves them as they are.
/** Marks where the revision number goes. */
export const REVISION = "@@REV@@";
/** Marks where the chart version goes. */
export const CHART_VERSION = "@@CHART_VERSION@@";
/** Marks where the app version goes. */
export const APP_VERSION = "@@APP_VERSION@@";

/** A text with markers, filled with [revision, chartVersion, appVersion]. */
export type MarkedText = (values: readonly string[]) => string;

const MARKERS = new RegExp(`${REVISION}|${CHART_VERSION}|${APP_VERSION}`, "g");

/** Splits `text` at its markers once, so that each fill is one pass of concatenation. */
export function compile(text: string): MarkedText {
  const parts: string[] = [];
  const slots: number[] = [];
  let last = 0;
  for (const m of text.matchAll(MARKERS)) {
    parts.push(text.slice(last, m.index));
    slots.push(m[0] === REVISION ? 0 : m[0] === CHART_VERSION ? 1 : 2);
    last = m.index + m[0].length;
  }
  const tail = text.slice(last);
  return (values) => {
    let out = "";
    for (let i = 0; i < slots.length; i++) out += parts[i]! + values[slots[i]!]!;
    return out + tail;
  };
}

/** Stable colors per entity label (known types get fixed, distinguishable colors with AA contrast on text). */
const KNOWN: Readonly<Record<string, number>> = { PER: 0, ORG: 1, LOC: 2, MISC: 3, LOCORG: 4 };
const PALETTE_SIZE = 8;

/** CSS class `lbl-0`…`lbl-7` for a label: known types fixed, others hashed. */
export function labelClass(label: string): string {
  const known = KNOWN[label.toUpperCase()];
  if (known !== undefined) return `lbl-${known}`;
  let hash = 0;
  for (const ch of label) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `lbl-${(hash % (PALETTE_SIZE - 5)) + 5}`;
}

// The documented error codes are ERROR_CODES, in order (issue 15: the README's list lacked INTERNAL).
// README.md lists them in the paragraph that starts "Every method takes an optional last `{ signal }`",
// docs/DESIGN.md in its "- Errors:" item; both must equal ERROR_CODES, so adding a code means
// documenting it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

/** The paragraph (or list item) of `text` that starts with `start`, up to the next blank line or item. */
function block(text: string, start: string): string {
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`no block starting with ${JSON.stringify(start)}`);
  const rest = text.slice(from);
  const end = rest.search(/\n\s*\n|\n- /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The backticked codes after `marker` in `paragraph`, up to the first `;` or `)`. */
function codesAfter(paragraph: string, marker: string): string[] {
  const from = paragraph.indexOf(marker);
  if (from < 0) throw new Error(`no ${JSON.stringify(marker)} in ${JSON.stringify(paragraph)}`);
  const list = paragraph.slice(from + marker.length).split(/[;)]/)[0] ?? '';
  return [...list.matchAll(/`([A-Z][A-Z_]*)`/g)].map((m) => m[1] as string);
}

describe('documented error codes', () => {
  it("README.md's list equals ERROR_CODES, in order", () => {
    const paragraph = block(read('README.md'), 'Every method takes an optional last `{ signal }`');
    expect(codesAfter(paragraph, '`code` (')).toEqual([...ERROR_CODES]);
  });

  it("docs/DESIGN.md's Errors item equals ERROR_CODES, in order", () => {
    const item = block(read('docs/DESIGN.md'), '- Errors:');
    expect(codesAfter(item, '`ERROR_CODES` (')).toEqual([...ERROR_CODES]);
  });

  it('the parser sees a missing or misplaced code (the test can fail)', () => {
    const without = 'Every method takes x; `code` (`BACKEND_UNAVAILABLE`, `RUNTIME`); more';
    expect(codesAfter(block(without, 'Every method'), '`code` (')).toEqual(['BACKEND_UNAVAILABLE', 'RUNTIME']);
    expect(codesAfter(block(without, 'Every method'), '`code` (')).not.toEqual([...ERROR_CODES]);
  });
});

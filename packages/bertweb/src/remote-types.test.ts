/** Type-level checks of heads seen through a worker (`connect()` + `RemoteHead`); they fail `pnpm typecheck`. */
import type { RemoteHead } from '@bertweb/core';
import type { Answer, Reader } from '@bertweb/qa';
import type { Tagger } from '@bertweb/tagging';
import { describe, expectTypeOf, it } from 'vitest';

describe('RemoteHead', () => {
  it('keeps every overload of async methods', () => {
    type Remote = RemoteHead<Reader>;
    const call = (reader: Remote) => reader.answer('q', 'c', { topK: 3 });
    expectTypeOf(call).returns.toEqualTypeOf<Promise<Answer[]>>();
    const single = (reader: Remote) => reader.answer('q', 'c');
    expectTypeOf(single).returns.toEqualTypeOf<Promise<Answer>>();
  });

  it('makes sync members async and adds dispose()', () => {
    type Remote = RemoteHead<Tagger>;
    expectTypeOf<Remote['dispose']>().returns.toEqualTypeOf<Promise<void>>();
  });
});

/**
 * Type-level checks of heads seen through a worker (`connect()` + `RemoteHead`); they fail `pnpm typecheck`.
 * Each head has one interface that the in-thread head and its remote proxy both implement.
 */
import type { Classifier, Ranker } from '@bertweb/classify';
import type { BertwebClient, RemoteHead } from '@bertweb/core';
import type { Embedder } from '@bertweb/embeddings';
import type { Answer, Reader } from '@bertweb/qa';
import type { Tagger } from '@bertweb/tagging';
import { describe, expectTypeOf, it } from 'vitest';
import type { defaultTasks } from './tasks.js';

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
    expectTypeOf<RemoteHead<{ n(): number }>['n']>().returns.toEqualTypeOf<Promise<number>>();
  });

  it('is the head interface itself for every head: in-thread and remote heads implement one interface', () => {
    expectTypeOf<RemoteHead<Tagger>>().toMatchTypeOf<Tagger>();
    expectTypeOf<Tagger>().toMatchTypeOf<RemoteHead<Tagger>>();
    expectTypeOf<RemoteHead<Reader>>().toMatchTypeOf<Reader>();
    expectTypeOf<Reader>().toMatchTypeOf<RemoteHead<Reader>>();
    expectTypeOf<RemoteHead<Embedder>>().toMatchTypeOf<Embedder>();
    expectTypeOf<Embedder>().toMatchTypeOf<RemoteHead<Embedder>>();
    expectTypeOf<RemoteHead<Classifier>>().toMatchTypeOf<Classifier>();
    expectTypeOf<Classifier>().toMatchTypeOf<RemoteHead<Classifier>>();
    expectTypeOf<RemoteHead<Ranker>>().toMatchTypeOf<Ranker>();
    expectTypeOf<Ranker>().toMatchTypeOf<RemoteHead<Ranker>>();
  });

  it('gives the default worker client the head interfaces', () => {
    type Client = BertwebClient<typeof defaultTasks>;
    expectTypeOf<Awaited<ReturnType<Client['create']>>>().toMatchTypeOf<
      Tagger | Reader | Embedder | Classifier | Ranker
    >();
    const tagger = (client: Client) => client.create('tagger', '/models/ner-ru-tiny/');
    expectTypeOf(tagger).returns.resolves.toMatchTypeOf<Tagger>();
    const reader = (client: Client) => client.create('reader', '/models/qa/', { maxLength: 256 });
    expectTypeOf(reader).returns.resolves.toMatchTypeOf<Reader>();
  });
});

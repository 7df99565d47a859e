/**
 * The tokenizer's property-based fuzz suite (issue 15): `loadTokenizer`, `tokenizerFromVocab`,
 * `tokenizerFromJson` with hostile files and settings, and every method of the tokenizers they make
 * (bertweb's WordPiece from vocab.txt and from tokenizer.json, and one delegated to
 * @huggingface/tokenizers) with hostile arguments (see ../test-utils/fuzz.ts). Every call returns a
 * valid result or throws a documented code its arguments explain; batch results equal single ones.
 *
 * Long mode: `BERTWEB_FUZZ_RUNS=2000 pnpm exec vitest run packages/core/src/tokenizer/tokenizer.fuzz.test.ts`.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BertwebError, type ErrorCode } from '../errors.js';
import {
  argsOf,
  arrayOf,
  bool,
  buildArgs,
  Case,
  ensure,
  ensureClose,
  expectOutcome,
  FUZZ_RUNS,
  foreignValues,
  fuzzParameters,
  HostileThrow,
  int,
  invalid,
  oneOf,
  optionsOf,
  plainCase,
  printTallies,
  propertyTimeout,
  runsScaled,
  type Schema,
  str,
  tallyOf,
  textArb,
  throwing,
  valid,
} from '../test-utils/fuzz.js';
import { loadTokenizer, tokenizerFromJson, tokenizerFromVocab } from './load.js';
import { bertTokenizerJson } from './test-utils/reference.js';
import type { Encoding, Tokenizer } from './types.js';

const SUITE = 'tokenizer';
const FIXTURES = new URL('../../../../models/fixtures/', import.meta.url).pathname;
const VOCAB_TEXT = readFileSync(`${FIXTURES}bert-base/vocab.txt`, 'utf8');
const VOCAB_LINES = VOCAB_TEXT.split('\n').filter((l) => l !== '');
const TOKENIZER_JSON = JSON.parse(readFileSync(`${FIXTURES}distilbert-base/tokenizer.json`, 'utf8')) as Record<
  string,
  unknown
>;

/** The tokenizers under fuzz, by name. */
const tokenizers = new Map<string, Tokenizer>();

beforeAll(async () => {
  tokenizers.set('wordpiece (vocab.txt)', await loadTokenizer(`${FIXTURES}bert-base`));
  tokenizers.set('wordpiece (tokenizer.json, padding)', await loadTokenizer(`${FIXTURES}distilbert-base`));
  // A normalizer bertweb does not implement: delegated to @huggingface/tokenizers.
  tokenizers.set(
    'delegated (NFD normalizer)',
    tokenizerFromJson({
      ...bertTokenizerJson(VOCAB_LINES),
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }] },
    }),
  );
  expect(tokenizers.get('delegated (NFD normalizer)')?.kind).toBe('delegated');
});

afterAll(async () => {
  await printTallies(SUITE, 'Tokenizer fuzz: outcomes per method');
});

const NAMES = () => [...tokenizers.keys()];

// ---------------------------------------------------------------------------------------------------
// Result checks
// ---------------------------------------------------------------------------------------------------

/** Whether the tokenizer pads (tokenizer.json padding): pad tokens then follow the real ones. */
function isPad(encoding: Encoding, i: number): boolean {
  return encoding.attentionMask[i] === 0;
}

/**
 * One encoding: parallel arrays, ids in the vocabulary, offsets inside the sequence they come from,
 * special tokens marked as such, at most `maxLength` tokens when truncated (and so every overflow window).
 */
function checkEncoding(
  encoding: Encoding,
  tokenizer: Tokenizer,
  text: string,
  pair: string | undefined,
  maxLength: number | undefined,
  what: string,
): void {
  const n = encoding.ids.length;
  for (const key of [
    'tokens',
    'typeIds',
    'attentionMask',
    'specialTokensMask',
    'wordIds',
    'sequenceIds',
    'offsets',
  ] as const) {
    ensure(encoding[key].length === n, `${what}: ${key} has ${encoding[key].length} entries for ${n} ids`);
  }
  if (maxLength !== undefined) {
    const real = encoding.attentionMask.filter((m) => m === 1).length;
    ensure(real <= maxLength, `${what}: ${real} tokens > maxLength ${maxLength}`);
  }
  for (let i = 0; i < n; i++) {
    const id = encoding.ids[i] as number;
    ensure(Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize, `${what}: id ${id}`);
    const sequence = encoding.sequenceIds[i];
    const [start, end] = encoding.offsets[i] as [number, number];
    if (isPad(encoding, i)) continue;
    if (sequence === null) {
      ensure(
        encoding.specialTokensMask[i] === 1 && encoding.wordIds[i] === null,
        `${what}: token ${i} is special but not marked`,
      );
      continue;
    }
    const input = sequence === 0 ? text : pair;
    ensure(input !== undefined && (sequence === 0 || sequence === 1), `${what}: token ${i} of sequence ${sequence}`);
    ensure(
      Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= input.length,
      `${what}: offsets [${start}, ${end}) of token ${i} outside its text (${input.length})`,
    );
    ensure(encoding.wordIds[i] !== null, `${what}: token ${i} has no word`);
  }
  // A sequence truncated to 0 tokens keeps nothing and becomes one whole overflow window (Hugging
  // Face's Encoding::truncate(0), which truncation.ts reproduces): maxLength 0, or a pair whose
  // shorter side gets no budget. Such windows are not bounded, so only single texts' are checked.
  const windowLimit = maxLength === 0 || pair !== undefined ? undefined : maxLength;
  for (const [w, window] of encoding.overflowing.entries()) {
    checkEncoding(window, tokenizer, text, pair, windowLimit, `${what}.overflowing[${w}]`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------------

/** `truncation`: false / null / undefined (none), `{ maxLength, strategy?, stride?, direction? }`. */
function truncationSchema(): Schema<unknown> {
  const fields = fc.record(
    {
      strategy: oneOf(['longest_first', 'only_first', 'only_second'] as const).valid,
      stride: int(0, 600, 8).valid,
      direction: oneOf(['left', 'right'] as const).valid,
    },
    { requiredKeys: [] },
  );
  const validObject = fc.tuple(int(0, 600, 40).valid, fields).map(([maxLength, rest]) => {
    const entries = [['maxLength', maxLength] as const, ...Object.entries(rest)] as [string, Case<unknown>][];
    return new Case(`{${entries.map(([k, c]) => `${k}: ${c.label}`).join(', ')}}`, (ctx) => {
      const object: Record<string, unknown> = {};
      for (const [k, c] of entries) object[k] = c.build(ctx).value;
      return valid(object, object);
    });
  });
  const badField = fc
    .tuple(
      fc.constantFrom('maxLength', 'strategy', 'stride', 'direction'),
      foreignValues('none').filter((c) => c.label !== 'undefined'),
    )
    .map(
      ([key, bad]) =>
        new Case(`{maxLength: 16, ${key}: ${bad.label}}`, (ctx) => {
          const value = bad.build(ctx);
          return { ...invalid({ maxLength: 16, [key]: value.value }, `bad ${key}`), cloneable: value.cloneable };
        }),
    )
    // A number that happens to be a valid length or stride is not a bad field.
    .filter((c) => {
      const built = c.build({ cleanups: [] }).value as Record<string, unknown>;
      const value = built.maxLength !== 16 ? built.maxLength : built.stride;
      return !(typeof value === 'number' && Number.isInteger(value) && value >= 0);
    });
  return {
    valid: fc.oneof(
      { arbitrary: fc.constantFrom(false, null).map((v) => plainCase(v, 'valid')), weight: 1 },
      { arbitrary: validObject, weight: 4 },
    ),
    invalid: fc.oneof(
      badField,
      fc.constantFrom<unknown>(true, 'longest_first', 16, [], {}).map((v) => plainCase(v as never, 'not a truncation')),
      fc.constant(
        new Case('{get maxLength() throws}', () =>
          throwing({
            get maxLength() {
              throw new HostileThrow('truncation getter');
            },
          }),
        ),
      ),
    ),
  };
}

const encodeOptions = optionsOf({
  pair: str(),
  addSpecialTokens: bool(),
  truncation: truncationSchema(),
  returnOverflowing: bool(),
});

const batchOptions = optionsOf({
  pairs: arrayOf(str({ longWeight: 0, hugeWeight: 0 }), { maxLength: 4 }),
  addSpecialTokens: bool(),
  truncation: truncationSchema(),
  returnOverflowing: bool(),
});

/** Token ids: integers below the vocabulary size (30,522 for the fixtures), in arrays or typed arrays. */
const idArrays = arrayOf(int(0, 30_521, 200), { maxLength: 12 });
const ids: Schema<unknown> = {
  valid: fc.oneof(
    idArrays.valid,
    fc
      .array(fc.integer({ min: 0, max: 30_521 }), { maxLength: 12 })
      .chain((list) =>
        fc.constantFrom(
          plainCase(Int32Array.from(list), 'valid'),
          plainCase(Float64Array.from(list), 'valid'),
          plainCase(Uint16Array.from(list), 'valid'),
        ),
      ),
  ),
  invalid: fc.oneof(
    idArrays.invalid.filter((c) => !/^(Float64Array|Uint8Array)/.test(c.label)),
    fc.constantFrom(
      plainCase(Float64Array.of(1.5), 'a fractional id'),
      plainCase(Int32Array.of(-1), 'a negative id'),
      plainCase(Float64Array.of(Number.NaN), 'NaN'),
    ),
  ),
};

/** Truncation that cannot succeed is INPUT_INVALID: too short for the special tokens, only_* with nothing to cut. */
function truncationRejects(options: Record<string, unknown>): ErrorCode[] {
  const truncation = options.truncation;
  return truncation && typeof truncation === 'object' ? ['INPUT_INVALID'] : [];
}

// ---------------------------------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------------------------------

interface TokenizerMethod {
  readonly method: string;
  readonly params: readonly Schema<unknown>[];
  readonly validCodes?: (args: unknown[]) => ErrorCode[];
  readonly check: (result: unknown, args: unknown[], tokenizer: Tokenizer) => void;
}

const opts = (value: unknown) => (value ?? {}) as Record<string, unknown>;
const maxLengthOf = (options: Record<string, unknown>): number | undefined => {
  const t = options.truncation as { maxLength?: number } | false | null | undefined;
  return t ? t.maxLength : undefined;
};

const METHODS: readonly TokenizerMethod[] = [
  {
    method: 'encode',
    params: [str(), encodeOptions],
    validCodes: ([, o]) => truncationRejects(opts(o)),
    check: (result, [text, o], tokenizer) => {
      const options = opts(o);
      checkEncoding(
        result as Encoding,
        tokenizer,
        text as string,
        options.pair as string | undefined,
        maxLengthOf(options),
        'encode',
      );
      if (options.addSpecialTokens === false) {
        ensure(
          (result as Encoding).specialTokensMask.every((m, i) => m === 0 || isPad(result as Encoding, i)),
          'special tokens without asking',
        );
      }
    },
  },
  {
    method: 'encodeBatch',
    params: [arrayOf(str({ hugeWeight: 0 }), { maxLength: 4 }), batchOptions],
    validCodes: ([texts, o]) => {
      const options = opts(o);
      const pairs = options.pairs as unknown[] | undefined;
      // One pair per text, or none.
      if (pairs !== undefined && pairs.length !== (texts as unknown[]).length) return ['INPUT_INVALID'];
      return truncationRejects(options);
    },
    check: (result, [texts, o], tokenizer) => {
      const options = opts(o);
      const list = texts as string[];
      ensure(Array.isArray(result) && result.length === list.length, 'one encoding per text');
      list.forEach(
        (text, i) =>
          void checkEncoding(
            (result as Encoding[])[i] as Encoding,
            tokenizer,
            text,
            (options.pairs as string[] | undefined)?.[i],
            maxLengthOf(options),
            `encodeBatch[${i}]`,
          ),
      );
    },
  },
  {
    method: 'tokenizeWord',
    params: [str({ hugeWeight: 0 })],
    check: (result, [word], tokenizer) => {
      const r = result as { tokens: string[]; ids: number[]; offsets: [number, number][] };
      ensure(r.tokens.length === r.ids.length && r.offsets.length === r.ids.length, 'tokenizeWord: lengths');
      r.ids.forEach(
        (id, i) => void ensure(Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize, `tokenizeWord: id ${i}`),
      );
      r.offsets.forEach(
        ([s, e], i) => void ensure(s >= 0 && s <= e && e <= (word as string).length, `tokenizeWord: offsets ${i}`),
      );
    },
  },
  {
    method: 'decode',
    params: [ids, optionsOf({ skipSpecialTokens: bool() })],
    check: (result) => ensure(typeof result === 'string', 'decode: not a string'),
  },
  {
    method: 'tokenToId',
    params: [{ valid: fc.oneof(str().valid, foreignValues('none')), invalid: fc.constant(plainCase('', 'valid')) }],
    check: (result, _, tokenizer) =>
      ensure(
        result === undefined || (Number.isInteger(result) && (result as number) < tokenizer.vocabSize),
        'tokenToId: not an id',
      ),
  },
  {
    method: 'idToToken',
    params: [
      { valid: fc.oneof(int(0, 40_000).valid, foreignValues('none')), invalid: fc.constant(plainCase(0, 'valid')) },
    ],
    check: (result) => ensure(result === undefined || typeof result === 'string', 'idToToken: not a token'),
  },
];

async function fuzzTokenizerMethod(spec: TokenizerMethod, runs: number): Promise<void> {
  const tally = tallyOf(SUITE, spec.method, 'in-thread');
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...NAMES()), argsOf(spec.params), async (name, recipe) => {
      const tokenizer = tokenizers.get(name) as Tokenizer;
      const built = buildArgs(recipe);
      // tokenToId / idToToken take any value: whatever it is, they answer (undefined for nonsense).
      const meaning =
        spec.method === 'tokenToId' || spec.method === 'idToToken'
          ? { kind: 'valid' as const, value: built.values }
          : built.meaning;
      try {
        await expectOutcome(
          tally,
          `${name}: ${spec.method}${recipe}`,
          {
            meaning,
            flags: built,
            validCodes: meaning.kind === 'valid' ? (spec.validCodes?.(meaning.value) ?? []) : [],
          },
          async () =>
            (tokenizer as unknown as Record<string, (...a: unknown[]) => unknown>)[spec.method]?.(...built.values),
          (result, plain) => spec.check(result, plain, tokenizer),
        );
      } finally {
        built.cleanup();
      }
    }),
    fuzzParameters(runs),
  );
}

// ---------------------------------------------------------------------------------------------------
// Loaders
// ---------------------------------------------------------------------------------------------------

/** Codes a loader may reject hostile files or settings with. */
const LOADER_CODES: readonly ErrorCode[] = [
  'TOKENIZER_MISMATCH',
  'INPUT_INVALID',
  'UNSUPPORTED',
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
];

/** A JSON value at a random path of `root` replaced (or removed). */
function mutateJson(root: unknown, path: readonly number[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(root);
  let node: unknown = copy;
  for (let depth = 0; depth < path.length; depth++) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[(path[depth] as number) % keys.length] as string;
    const child = (node as Record<string, unknown>)[key];
    const last = depth === path.length - 1 || typeof child !== 'object' || child === null;
    if (last) {
      if (remove) delete (node as Record<string, unknown>)[key];
      else (node as Record<string, unknown>)[key] = replacement;
      break;
    }
    node = child;
  }
  return copy;
}

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(
    null,
    -1,
    2 ** 40,
    1.5,
    '',
    '[UNK]',
    [],
    {},
    { type: 'WordPiece' },
    { type: 'BPE' },
    [[1, 2]],
    'x'.repeat(10_000),
  ),
);

const vocabText = fc.oneof(
  fc.constant(VOCAB_TEXT),
  fc.tuple(fc.nat(), fc.nat(), fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 })).map(([a, b, extra]) => {
    // The real vocabulary with a slice dropped and a few lines added (duplicates, specials lost...).
    const lines = [...VOCAB_LINES];
    const from = a % lines.length;
    lines.splice(from, b % 200, ...extra);
    return `${lines.join('\n')}\n`;
  }),
  fc.constantFrom('', '\n\n', '[UNK]\n[CLS]\n[SEP]\n[PAD]\n', '[PAD]\n[PAD]\n[UNK]\n', 'a\tb\n\u0000\n\ud800\n'),
  fc.string({ maxLength: 40 }),
);

const tokenizerConfig = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      do_lower_case: fc.oneof(fc.boolean(), jsonish),
      strip_accents: fc.oneof(fc.boolean(), fc.constant(null), jsonish),
      tokenize_chinese_chars: fc.oneof(fc.boolean(), jsonish),
      model_max_length: fc.oneof(fc.integer(), fc.constantFrom(1e30, Number.NaN, -1, 0), jsonish),
      unk_token: fc.oneof(fc.constantFrom('[UNK]', 'nope', ''), jsonish),
      cls_token: fc.oneof(fc.constantFrom('[CLS]', 'nope'), jsonish),
      never_split: fc.oneof(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), jsonish),
      clean_up_tokenization_spaces: fc.oneof(fc.boolean(), jsonish),
    },
    { requiredKeys: [] },
  ),
  jsonish,
);

const loadOptions = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      lowercase: fc.oneof(fc.boolean(), jsonish),
      useSavedTruncation: fc.oneof(fc.boolean(), jsonish),
      useSavedPadding: fc.oneof(fc.boolean(), jsonish),
    },
    { requiredKeys: [] },
  ),
  jsonish,
);

/** A tokenizer a loader returned: it must encode anything. */
function smoke(tokenizer: Tokenizer): void {
  for (const text of ['Hello, world!', '', 'Москва 👍🏽 e\u0301 \ud800', 'x'.repeat(300)]) {
    checkEncoding(tokenizer.encode(text, { truncation: false }), tokenizer, text, undefined, undefined, 'smoke encode');
    checkEncoding(
      tokenizer.encode(text, { pair: 'b', truncation: { maxLength: 16 } }),
      tokenizer,
      text,
      'b',
      undefined,
      'smoke pair',
    );
  }
  ensure(typeof tokenizer.decode(tokenizer.encode('hello world').ids) === 'string', 'smoke decode');
}

async function fuzzLoader(
  method: string,
  arb: fc.Arbitrary<{ label: string; run: () => Promise<Tokenizer> | Tokenizer }>,
  runs: number,
) {
  const tally = tallyOf(SUITE, method, 'in-thread');
  await fc.assert(
    fc.asyncProperty(arb, async ({ label, run }) => {
      await expectOutcome(
        tally,
        `${method}(${label})`,
        {
          meaning: { kind: 'valid', value: [] },
          flags: { cloneable: true, abortable: false, throwingCallback: false },
          validCodes: LOADER_CODES,
        },
        async () => run(),
        (tokenizer) => smoke(tokenizer),
      );
    }),
    fuzzParameters(runs),
  );
}

const LOADER_RUNS = runsScaled(0.5);

describe('tokenizer under fuzz', () => {
  for (const spec of METHODS) {
    it(`${spec.method}: a valid result or a documented rejection`, {
      timeout: propertyTimeout(FUZZ_RUNS),
    }, async () => {
      await fuzzTokenizerMethod(spec, FUZZ_RUNS);
      expect(tallyOf(SUITE, spec.method, 'in-thread').results).toBeGreaterThan(0);
    });
  }

  it('encodeBatch gives each text what encode gives it alone (padding aside)', {
    timeout: propertyTimeout(FUZZ_RUNS),
  }, async () => {
    const tally = tallyOf(SUITE, 'encodeBatch (batch = alone)', 'in-thread');
    const text = textArb({ longWeight: 1, hugeWeight: 0 });
    await fc.assert(
      fc.property(
        fc.constantFrom(...NAMES()),
        fc.array(text, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 3, max: 64 }), { nil: undefined }),
        (name, texts, withPairs, maxLength) => {
          tally.cases++;
          const tokenizer = tokenizers.get(name) as Tokenizer;
          const pairs = withPairs ? texts.map((t) => t.slice(0, 50)) : undefined;
          const truncation = maxLength === undefined ? false : { maxLength };
          const batch = tokenizer.encodeBatch(texts, { ...(pairs ? { pairs } : {}), truncation });
          texts.forEach((t, i) => {
            const alone = tokenizer.encode(t, { ...(pairs ? { pair: pairs[i] } : {}), truncation });
            const real = (e: Encoding) => {
              const keep = e.attentionMask.map((m) => m === 1);
              const pick = <T>(a: T[]) => a.filter((_, k) => keep[k]);
              return {
                ids: pick(e.ids),
                tokens: pick(e.tokens),
                offsets: pick(e.offsets),
                typeIds: pick(e.typeIds),
                wordIds: pick(e.wordIds),
              };
            };
            ensureClose(real(batch[i] as Encoding), real(alone), 0, `${name}: encodeBatch[${i}] vs encode`);
          });
          tally.results++;
        },
      ),
      fuzzParameters(FUZZ_RUNS),
    );
  });

  it('tokenizerFromVocab: hostile vocabularies and settings', {
    timeout: propertyTimeout(LOADER_RUNS, 3_000),
  }, async () => {
    await fuzzLoader(
      'tokenizerFromVocab',
      fc.tuple(vocabText, tokenizerConfig, tokenizerConfig, loadOptions).map(([vocab, config, map, options]) => ({
        label: `vocab of ${vocab.length} chars, ${JSON.stringify(config)?.slice(0, 80)}, ${JSON.stringify(map)?.slice(0, 40)}, ${JSON.stringify(options)?.slice(0, 60)}`,
        run: () => tokenizerFromVocab(vocab, config as object, map as object, options as never),
      })),
      LOADER_RUNS,
    );
  });

  it('tokenizerFromJson: hostile tokenizer.json files and settings', {
    timeout: propertyTimeout(LOADER_RUNS, 3_000),
  }, async () => {
    const mutated = fc
      .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), jsonish, fc.boolean())
      .map(([path, replacement, remove]) => ({
        json: mutateJson(TOKENIZER_JSON, path, replacement, remove),
        label: `mutated at ${path.join('.')} ${remove ? 'removed' : `= ${JSON.stringify(replacement)?.slice(0, 40)}`}`,
      }));
    const whole = fc.oneof(
      jsonish.map((json) => ({ json, label: JSON.stringify(json)?.slice(0, 60) ?? 'undefined' })),
      fc
        .constantFrom('{', '{"model": 1}', JSON.stringify(TOKENIZER_JSON).slice(0, 500), 'null')
        .map((json) => ({ json, label: `string ${json.slice(0, 30)}` })),
    );
    await fuzzLoader(
      'tokenizerFromJson',
      fc
        .tuple(
          fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: whole, weight: 1 }),
          tokenizerConfig,
          loadOptions,
        )
        .map(([{ json, label }, config, options]) => ({
          label: `${label}, ${JSON.stringify(config)?.slice(0, 60)}, ${JSON.stringify(options)?.slice(0, 60)}`,
          run: () => tokenizerFromJson(json, config, options as never),
        })),
      LOADER_RUNS,
    );
  });

  it('loadTokenizer: folders and file maps with hostile files', {
    timeout: propertyTimeout(LOADER_RUNS, 3_000),
  }, async () => {
    const encoder = new TextEncoder();
    const fileMap = fc
      .record(
        {
          'tokenizer.json': fc.oneof(
            fc
              .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), jsonish)
              .map(([path, r]) => JSON.stringify(mutateJson(TOKENIZER_JSON, path, r, false))),
            fc.constantFrom('{', '', '\u0000\u0001', 'null'),
          ),
          'vocab.txt': vocabText,
          'tokenizer_config.json': fc.oneof(
            tokenizerConfig.map((c) => JSON.stringify(c) ?? ''),
            fc.constantFrom('{', '[]', '"x"'),
          ),
          'special_tokens_map.json': fc.oneof(
            tokenizerConfig.map((c) => JSON.stringify(c) ?? ''),
            fc.constantFrom('{', 'null'),
          ),
        },
        { requiredKeys: [] },
      )
      .map((files) => ({
        label: `{files: ${Object.entries(files)
          .map(([k, v]) => `${k}: ${v.length} chars`)
          .join(', ')}}`,
        run: () =>
          loadTokenizer({ files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, encoder.encode(v)])) }),
      }));
    const folders = fc.constantFrom('bert-base', 'distilbert-qa', 'no-such-folder').map((name) => ({
      label: name,
      run: () => loadTokenizer(`${FIXTURES}${name}`),
    }));
    const badSources = fc.constantFrom<unknown>(42, null, {}, { files: 1 }, '', { hub: 7 }).map((source) => ({
      label: JSON.stringify(source),
      run: () => loadTokenizer(source as never),
    }));
    await fuzzLoader('loadTokenizer', fc.oneof({ arbitrary: fileMap, weight: 5 }, folders, badSources), LOADER_RUNS);
  });
});

void BertwebError;

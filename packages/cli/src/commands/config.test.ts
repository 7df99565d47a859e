/**
 * `--config FILE_OR_NAME [--files-base-url URL] [--hub-base-url URL]` in place of `--model` (issue 13) for
 * tag, qa, classify, embed and rank, against a local server that plays files.deeppavlov.ai
 * (models/fixtures/deeppavlov/files/ at the real URL paths) and the hub (models/fixtures/deeppavlov/hub/<id>/
 * as `<id>/resolve/main/<file>`). Each command's output is the head's, in process, on the same source
 * `{ deeppavlov, filesBaseUrl }`; and that head reproduces DeepPavlov's outputs (reference.json, from
 * models/scripts/dp_reference.py; semantics in docs/deeppavlov-1.7.md):
 * - NER: deeppavlov/models/torch_bert/torch_transformers_sequence_tagger.py `TorchTransformersSequenceTagger`
 *   after deeppavlov/models/preprocessors/torch_transformers_preprocessor.py `TorchTransformersNerPreprocessor`;
 * - SQuAD: deeppavlov/models/torch_bert/torch_transformers_squad.py `TorchTransformersSquad.__call__`;
 * - classification: deeppavlov/models/torch_bert/torch_transformers_classifier.py
 *   `TorchTransformersClassifierModel` and deeppavlov/models/classifiers/proba2labels.py;
 * - embedder: deeppavlov/models/embedders/transformers_embedder.py `TransformersBertEmbedder.__call__`;
 * - ranking: deeppavlov/models/torch_bert/torch_bert_ranker.py `TorchBertRankerModel.__call__`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClassifier, createRanker } from '@bertweb/classify';
import { modelConverter } from '@bertweb/convert';
import { type DeepPavlovSource, env, FolderModelCache, MemoryModelCache, type ModelCache } from '@bertweb/core';
import { createEmbedder } from '@bertweb/embeddings';
import { createReader } from '@bertweb/qa';
import { createTagger } from '@bertweb/tagging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DP_FIXTURES, dpReference } from '../../../classify/src/test-utils/deeppavlov-fixtures.js';
import { type ModelServer, startModelServer } from '../../../core/src/sources/test-utils/index.js';
import { runCli } from '../cli.js';
import { memoryIO } from '../io.js';

const reference = dpReference();
const CONFIGS = fileURLToPath(new URL('../../../../../shared/data/deeppavlov-1.7-configs', import.meta.url));
const haveConfigs = existsSync(CONFIGS);
if (!haveConfigs) console.warn(`skipping the --config FILE tests on real DeepPavlov JSONs: ${CONFIGS} is absent`);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** files/** at their paths (the real files.deeppavlov.ai ones), hub/<id>/<file> as `<id>/resolve/main/<file>`. */
function serverFiles(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const files = join(DP_FIXTURES, 'files');
  for (const path of walk(files)) out[relative(files, path)] = new Uint8Array(readFileSync(path));
  const hub = join(DP_FIXTURES, 'hub');
  for (const path of walk(hub)) {
    const rel = relative(hub, path);
    const cut = rel.lastIndexOf('/');
    out[`${rel.slice(0, cut)}/resolve/main/${rel.slice(cut + 1)}`] = new Uint8Array(readFileSync(path));
  }
  return out;
}

let server: ModelServer;
let scratch: string;
let savedCache: boolean | ModelCache;
beforeAll(async () => {
  server = await startModelServer({ files: serverFiles(), sha256Etag: true });
  scratch = mkdtempSync(join(tmpdir(), 'bertweb-cli-config-'));
  // The CLI's loads use env.cache: a folder of this test's, not ~/.cache/bertweb.
  savedCache = env.cache;
  env.cache = new FolderModelCache(join(scratch, 'cache'));
});
afterAll(async () => {
  env.cache = savedCache;
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The flags of a config run against the local server (fp32 on WASM, as the in-process heads below). */
const mirror = () => [
  '--files-base-url',
  server.url,
  '--hub-base-url',
  server.url,
  '--backend',
  'wasm',
  '--dtype',
  'fp32',
];
/** The same source and load options in process (its own cache: it converts on its own). */
const dp = (deeppavlov: unknown): DeepPavlovSource => ({ deeppavlov, filesBaseUrl: server.url });
const load = () => ({
  hubBaseUrl: server.url,
  backend: 'wasm' as const,
  dtype: 'fp32' as const,
  cache: new MemoryModelCache(),
});

async function cli(argv: string[], input: string[] = []) {
  const io = memoryIO(input);
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr, json: io.stdout.map((l) => JSON.parse(l) as unknown) };
}

/** Results as the CLI writes them: through JSON. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('--config NAME runs a DeepPavlov 1.7 config: the output of the head on the same source', () => {
  it('tag --config ner_rus_bert: the entities createTagger finds; its tags are DeepPavlov’s', async () => {
    // Nothing registered a converter before the CLI ran: the CLI's loads install @bertweb/convert's.
    expect(env.converter).toBeUndefined();
    const ref = reference.ner_rus_bert;
    const texts = ref.cases.map((c) => c.text);
    const run = await cli(['tag', '--config', 'ner_rus_bert', ...mirror()], texts);
    expect(run).toMatchObject({ code: 0, stderr: [] });
    expect(env.converter).toBe(modelConverter);
    const tagger = await createTagger(dp('ner_rus_bert'), load());
    try {
      expect(run.json).toEqual(asJson(await tagger.tag(texts)));
      // The config's settings are in effect (1.7 word split, tag.dict order, no CRF): DeepPavlov's tags.
      const tagged = await tagger.tagWords(ref.cases.map((c) => c.words));
      expect(tagged.map((t) => t.tags)).toEqual(ref.cases.map((c) => c.tags));
    } finally {
      await tagger.dispose();
    }
    expect(run.json.flat().length).toBeGreaterThan(0);
    run.json.forEach((entities, i) => {
      for (const e of entities as { text: string; start: number; end: number }[]) {
        expect(texts[i]?.slice(e.start, e.end)).toBe(e.text);
      }
    });
  });

  it('qa --config squad_ru_bert: the answer createReader gives, DeepPavlov’s answer and score', async () => {
    for (const c of reference.squad_ru_bert.cases) {
      const run = await cli([
        'qa',
        '--config',
        'squad_ru_bert',
        ...mirror(),
        '--question',
        c.question,
        '--context',
        c.context,
      ]);
      expect(run).toMatchObject({ code: 0, stderr: [] });
      const reader = await createReader(dp('squad_ru_bert'), load());
      try {
        expect(run.json).toEqual([asJson(await reader.answer(c.question, c.context))]);
      } finally {
        await reader.dispose();
      }
      expect(run.json[0]).toMatchObject({ text: c.answer, start: c.answer_start, noAnswer: false });
      expect(Math.abs((run.json[0] as { score: number }).score - c.score)).toBeLessThanOrEqual(1e-4);
    }
  });

  it('classify --config rusentiment_bert: the labels createClassifier gives, best first as proba2labels', async () => {
    const ref = reference.rusentiment_bert;
    const texts = ref.cases.map((c) => c.text);
    const run = await cli(['classify', '--config', 'rusentiment_bert', ...mirror()], texts);
    expect(run).toMatchObject({ code: 0, stderr: [] });
    const classifier = await createClassifier(dp('rusentiment_bert'), load());
    try {
      expect(run.json).toEqual(asJson((await classifier.classify(texts)).map((r) => r.labels)));
    } finally {
      await classifier.dispose();
    }
    run.json.forEach((labels, i) => {
      const got = labels as { label: string; score: number }[];
      expect(got).toHaveLength(ref.classes.length);
      expect(got[0]?.label).toBe(ref.cases[i]?.label);
    });
  });

  it('embed --config bert_sentence_embedder: the vectors createEmbedder gives', async () => {
    const cases = (
      reference as unknown as { bert_sentence_embedder: { cases: { text: string; pooler_output: number[] }[] } }
    ).bert_sentence_embedder.cases;
    const texts = cases.map((c) => c.text);
    const run = await cli(['embed', '--config', 'bert_sentence_embedder', ...mirror()], texts);
    expect(run).toMatchObject({ code: 0, stderr: [] });
    const embedder = await createEmbedder(dp('bert_sentence_embedder'), load());
    try {
      const { data, dim, rows } = await embedder.embed(texts);
      expect(rows).toBe(texts.length);
      expect(run.json).toEqual(
        Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * dim, (r + 1) * dim))),
      );
      expect((run.json[0] as number[]).length).toBe(cases[0]?.pooler_output.length);
    } finally {
      await embedder.dispose();
    }
  });

  it('rank --config ranking_ubuntu_v2_torch_bert_uncased: the scores createRanker gives, DeepPavlov’s', async () => {
    const [c] = reference.ranking_ubuntu_v2_torch_bert_uncased.cases;
    if (!c) throw new Error('reference.json has no ranking case');
    const argv = ['rank', '--config', 'ranking_ubuntu_v2_torch_bert_uncased', ...mirror(), '--query', c.context];
    const run = await cli(argv, c.candidates);
    expect(run).toMatchObject({ code: 0, stderr: [] });
    const ranker = await createRanker(dp('ranking_ubuntu_v2_torch_bert_uncased'), load());
    try {
      expect(run.json).toEqual(Array.from((await ranker.score(c.context, c.candidates)).scores));
    } finally {
      await ranker.dispose();
    }
    // The config's max_seq_length 128 and zero segment ids, with no flags: torch_bert_ranker's scores.
    (run.json as number[]).forEach((score, j) => {
      expect(Math.abs(score - (c.scores[j] as number))).toBeLessThanOrEqual(1e-4);
    });
  });

  it('the bin, in its own process, converts a config too (the CLI registers the converter)', async () => {
    const bin = fileURLToPath(new URL('../../bin/bertweb.mjs', import.meta.url));
    const text = reference.ner_rus_bert.cases[0]?.text as string;
    const child = spawn(process.execPath, [bin, 'tag', '--config', 'ner_rus_bert', ...mirror()], {
      env: { ...process.env, BERTWEB_CACHE_DIR: join(scratch, 'bin-cache') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdin.end(`${text}\n`);
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const tagger = await createTagger(dp('ner_rus_bert'), load());
    try {
      expect(JSON.parse(stdout)).toEqual(asJson((await tagger.tag([text]))[0]));
    } finally {
      await tagger.dispose();
    }
  });
});

describe('--config FILE', () => {
  it.skipIf(!haveConfigs)(
    'tag --config path/to/ner_rus_bert.json (the real 1.7 JSON): as the config object in process',
    async () => {
      const file = walk(CONFIGS).find((p) => p.endsWith('/ner/ner_rus_bert.json')) as string;
      const texts = reference.ner_rus_bert.cases.map((c) => c.text);
      const run = await cli(['tag', '--config', file, ...mirror()], texts);
      expect(run).toMatchObject({ code: 0, stderr: [] });
      const tagger = await createTagger(dp(JSON.parse(readFileSync(file, 'utf8'))), load());
      try {
        expect(run.json).toEqual(asJson(await tagger.tag(texts)));
      } finally {
        await tagger.dispose();
      }
      // And as the config by name.
      expect((await cli(['tag', '--config', 'ner_rus_bert', ...mirror()], texts)).json).toEqual(run.json);
    },
  );

  it.skipIf(!haveConfigs)(
    'classify --config a copy of rusentiment_bert.json elsewhere: read as JSON, not as a name',
    async () => {
      // Named after another config: the file's content counts, not its name.
      const file = join(scratch, 'ner_rus_bert.json');
      const original = walk(CONFIGS).find((p) => p.endsWith('/classifiers/rusentiment_bert.json')) as string;
      writeFileSync(file, readFileSync(original));
      const texts = reference.rusentiment_bert.cases.map((c) => c.text);
      const run = await cli(['classify', '--config', file, ...mirror()], texts);
      expect(run).toMatchObject({ code: 0, stderr: [] });
      expect(run.json.map((labels) => (labels as { label: string }[])[0]?.label)).toEqual(
        reference.rusentiment_bert.cases.map((c) => c.label),
      );
    },
  );
});

describe('bad --model / --config combinations are INPUT_INVALID with the usage, before any download', () => {
  const model = fileURLToPath(new URL('../../../../models/fixtures/bert-token-cls', import.meta.url));
  const error = (run: { stderr: string[] }) =>
    (
      JSON.parse(run.stderr.at(-1) as string) as {
        error: { code: string; message: string; details?: { usage?: string } };
      }
    ).error;

  it('both, neither, or --files-base-url without --config', async () => {
    const cases: [string[], RegExp][] = [
      [['tag', '--model', model, '--config', 'ner_rus_bert'], /not both/],
      [['tag'], /--model or --config is required/],
      [['classify', '--files-base-url', server.url], /--model or --config is required/],
      [['embed', '--model', model, '--files-base-url', server.url], /goes with --config/],
      [['qa', '--question', 'q', '--context', 'c'], /--model or --config is required/],
      [['rank', '--query', 'q', '--model', model, '--config', 'ranking_ubuntu_v2_torch_bert_uncased'], /not both/],
      [['tag', '--config', 'ner_rus_bert', '--files-base-url', 'ftp://mirror'], /http\(s\) URL/],
    ];
    server.clearRequests();
    for (const [argv, message] of cases) {
      const run = await cli(argv, ['text']);
      expect(run.code).toBe(1);
      expect(run.stdout).toEqual([]);
      const err = error(run);
      expect(err).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(message) });
      expect(err.details?.usage).toMatch(new RegExp(`^bertweb ${argv[0]} --model M`));
      expect(err.details?.usage).toContain('--config C');
    }
    expect(server.requests).toEqual([]);
  });

  it("a config of another head's task (core's check), an unknown name, a missing or broken file", async () => {
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, '{"chainer": ');
    const cases: [string[], RegExp][] = [
      [
        ['tag', '--config', 'rusentiment_bert'],
        /rusentiment_bert is a .* config for the classifier head, not the tagger/,
      ],
      [['qa', '--config', 'ner_rus_bert', '--question', 'q', '--context', 'c'], /for the tagger head, not the reader/],
      [['classify', '--config', 'squad_ru_bert'], /for the reader head, not the classifier/],
      [['embed', '--config', 'ranking_ubuntu_v2_torch_bert_uncased'], /for the ranker head, not the embedder/],
      [['rank', '--config', 'bert_sentence_embedder', '--query', 'q'], /for the embedder head, not the ranker/],
      [['tag', '--config', 'no_such_config'], /no DeepPavlov 1\.7 BERT-family config named "no_such_config"/],
      [['tag', '--config', join(scratch, 'missing.json')], /no config file/],
      [['tag', '--config', broken], /not valid JSON/],
      [['tag', '--config', scratch], /is a folder/],
    ];
    server.clearRequests();
    for (const [argv, message] of cases) {
      const run = await cli([...argv, ...mirror()], ['text']);
      expect(run.code).toBe(1);
      expect(error(run)).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(message) });
    }
    expect(server.requests).toEqual([]);
  });
});

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isBertwebError } from '@bertweb/core';
import { describe, expect, it } from 'vitest';
import { parseDeepPavlovConfig } from './config.js';

// The 45 BERT-family configs of DeepPavlov 1.7.0 (deeppavlov/configs/**), read in place.
const CONFIGS = join(import.meta.dirname, '../../../../../shared/data/deeppavlov-1.7-configs');
const haveConfigs = existsSync(CONFIGS);
if (!haveConfigs) console.warn(`skipping DeepPavlov config tests: ${CONFIGS} is absent`);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.json') ? [p] : [];
  });
}
const files = haveConfigs ? walk(CONFIGS).sort() : [];
const byName = new Map(
  files.map((f) => [
    f
      .split('/')
      .pop()
      ?.replace(/\.json$/, '') as string,
    f,
  ]),
);
const read = (name: string) => JSON.parse(readFileSync(byName.get(name) as string, 'utf8')) as unknown;
const parse = (name: string, variables?: Record<string, boolean>) =>
  parseDeepPavlovConfig(read(name), { name, variables });

// name -> [task, transformer] or the component named by UNSUPPORTED. Written from the JSON files.
const EXPECTED: Record<string, readonly [string, string | null] | { unsupported: string }> = {
  boolqa_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  glue_mnli_cased_bert_torch: ['classification', 'bert-base-cased'],
  glue_mnli_mm_cased_bert_torch: ['classification', 'bert-base-cased'],
  glue_rte_cased_bert_torch: ['classification', 'bert-base-cased'],
  insults_kaggle_bert: ['classification', 'bert-base-uncased'],
  paraphraser_convers_distilrubert_2L: ['classification', 'DeepPavlov/distilrubert-tiny-cased-conversational'],
  paraphraser_convers_distilrubert_6L: ['classification', 'DeepPavlov/distilrubert-base-cased-conversational'],
  paraphraser_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  rusentiment_bert: ['classification', 'bert-base-multilingual-cased'],
  rusentiment_convers_bert: ['classification', 'DeepPavlov/rubert-base-cased-conversational'],
  rusentiment_convers_distilrubert_2L: ['classification', 'DeepPavlov/distilrubert-tiny-cased-conversational'],
  rusentiment_convers_distilrubert_6L: ['classification', 'DeepPavlov/distilrubert-base-cased-conversational'],
  sentiment_sst_conv_bert: ['classification', 'DeepPavlov/bert-base-cased-conversational'],
  superglue_wic_bert: ['classification', 'bert-base-cased'],
  topics_distilbert_base_uncased: ['classification', 'distilbert-base-uncased'],
  bert_embedder: ['embedder', null],
  bert_sentence_embedder: ['embedder', null],
  ner_bert_base: ['ner', 'bert-base-multilingual-cased'],
  ner_case_agnostic_mdistilbert: ['ner', 'distilbert-base-multilingual-cased'],
  ner_collection3_bert: ['ner', 'DeepPavlov/rubert-base-cased'],
  ner_conll2003_bert: ['ner', 'bert-base-cased'],
  ner_ontonotes_bert: ['ner', 'bert-base-cased'],
  ner_ontonotes_bert_mult: ['ner', 'bert-base-multilingual-cased'],
  ner_rus_bert: ['ner', 'DeepPavlov/rubert-base-cased'],
  ner_rus_bert_probas: ['ner', 'DeepPavlov/rubert-base-cased'],
  ner_rus_convers_distilrubert_2L: ['ner', 'DeepPavlov/distilrubert-tiny-cased-conversational'],
  ner_rus_convers_distilrubert_6L: ['ner', 'DeepPavlov/distilrubert-base-cased-conversational'],
  ranking_ubuntu_v2_torch_bert_uncased: ['ranking', 'bert-base-uncased'],
  rel_ranking_nll_bert_ru: ['rel-ranking', 'DeepPavlov/rubert-base-cased'],
  russian_superglue_danetqa_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  russian_superglue_lidirus_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  russian_superglue_muserc_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  russian_superglue_parus_rubert: { unsupported: 'torch_transformers_multiplechoice_preprocessor' },
  russian_superglue_rcb_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  russian_superglue_rucos_rubert: { unsupported: 'torch_record_postprocessor' },
  russian_superglue_russe_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  russian_superglue_rwsd_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  russian_superglue_terra_rubert: ['classification', 'DeepPavlov/rubert-base-cased'],
  qa_multisberquad_bert: ['squad', 'DeepPavlov/rubert-base-cased'],
  qa_nq_psgcls_bert: { unsupported: 'torch_transformers_squad.psg_cls' },
  qa_squad2_bert: ['squad', 'bert-base-cased'],
  squad_bert: ['squad', 'bert-base-cased'],
  squad_ru_bert: ['squad', 'DeepPavlov/rubert-base-cased'],
  squad_ru_convers_distilrubert_2L: ['squad', 'DeepPavlov/distilrubert-tiny-cased-conversational'],
  squad_ru_convers_distilrubert_6L: ['squad', 'DeepPavlov/distilrubert-base-cased-conversational'],
};

describe.skipIf(!haveConfigs)('parseDeepPavlovConfig on the 45 DeepPavlov 1.7 configs', () => {
  it('finds exactly the expected configs', () => {
    expect(files).toHaveLength(45);
    expect([...byName.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))('%s: task and transformer, or UNSUPPORTED naming the component', (name) => {
    const want = EXPECTED[name];
    if (want && 'unsupported' in want) {
      try {
        parse(name);
        expect.unreachable('should throw');
      } catch (e) {
        expect(isBertwebError(e) && e.code).toBe('UNSUPPORTED');
        expect((e as { details: { component: string } }).details.component).toBe(want.unsupported);
        expect((e as Error).message).toContain(want.unsupported.split('.').pop());
      }
      return;
    }
    const cfg = parse(name);
    expect([cfg.task, cfg.transformer]).toEqual(want);
    // Every config that names a download holding its weights locates them inside it.
    if (cfg.weightsAvailable) {
      const file = cfg.task === 'embedder' ? cfg.files.modelFolder : cfg.files.weights;
      expect(cfg.downloads[file?.download ?? -1]?.needed).toBe(true);
    }
  });

  it('ner_rus_bert: settings, tarball layout, #tag_vocab.len', () => {
    const cfg = parse('ner_rus_bert');
    expect(cfg.preprocessor).toMatchObject({
      className: 'torch_transformers_ner_preprocessor',
      doLowerCase: false,
      maxSeqLength: 512,
      maxSubwordLength: 15,
      subwordMaskMode: 'first',
      wordSplit: '1.7',
    });
    expect(cfg.head).toMatchObject({ labels: { vocab: 'tags' }, useCrf: false });
    expect(cfg.downloads).toEqual([
      {
        url: 'http://files.deeppavlov.ai/v1/ner/ner_rus_bert_torch_new.tar.gz',
        subdir: '~/.deeppavlov/models/ner_rus_bert_torch',
        needed: true,
      },
    ]);
    expect(cfg.files).toEqual({
      weights: { download: 0, path: 'model.pth.tar' },
      tagVocab: { download: 0, path: 'tag.dict' },
    });
    expect(cfg.variables.MODEL_PATH).toBe('~/.deeppavlov/models/ner_rus_bert_torch');
    expect(cfg.outputs).toEqual(['x_tokens', 'y_pred']);
  });

  it('ner_ontonotes_bert_mult: the CRF weights are model_crf.pth.tar beside model.pth.tar', () => {
    const cfg = parse('ner_ontonotes_bert_mult');
    expect(cfg.head.useCrf).toBe(true);
    expect(cfg.files.crf).toEqual({ download: 0, path: 'model_crf.pth.tar' });
  });

  it('ner_rus_convers_distilrubert_2L: the tarball unpacks into a folder under MODELS_PATH', () => {
    const cfg = parse('ner_rus_convers_distilrubert_2L');
    expect(cfg.downloads[0]?.subdir).toBe('~/.deeppavlov/models');
    expect(cfg.files.weights?.path).toBe('ner_rus_conversational_distilrubert_2L/model.pth.tar');
  });

  it('topics_distilbert_base_uncased: multilabel, lowercased, proba2labels threshold 0.5, dataset not needed', () => {
    const cfg = parse('topics_distilbert_base_uncased');
    expect(cfg.head).toMatchObject({
      multilabel: true,
      returnProbas: true,
      proba2labels: { maxProba: false, confidenceThreshold: 0.5 },
    });
    expect(cfg.preprocessor).toMatchObject({ doLowerCase: true, maxSeqLength: 128, inputs: ['x'] });
    expect(cfg.downloads.map((d) => d.needed)).toEqual([false, true]);
    expect(cfg.files.classVocab).toEqual({ download: 1, path: 'topic_distilbert_base_v0/classes.dict' });
  });

  it('rusentiment_convers_distilrubert_2L lowercases a cased model (do_lower_case: true in the config)', () => {
    expect(parse('rusentiment_convers_distilrubert_2L').preprocessor.doLowerCase).toBe(true);
  });

  it('paraphraser_rubert: text pairs, n_classes 2, no probabilities (argmax index)', () => {
    const cfg = parse('paraphraser_rubert');
    expect(cfg.preprocessor.inputs).toEqual(['text_a', 'text_b']);
    expect(cfg.head).toMatchObject({ labels: 2, returnProbas: false, proba2labels: null });
    expect(cfg.files.weights).toEqual({ download: 2, path: 'model.pth.tar' });
  });

  it('"{BINARY_CLASSIFICATION}" becomes the boolean itself; DP_-style overrides apply', () => {
    expect(parse('russian_superglue_danetqa_rubert').head.isBinary).toBe(false);
    const cfg = parse('russian_superglue_danetqa_rubert', { BINARY_CLASSIFICATION: true });
    expect(cfg.head).toMatchObject({ isBinary: true, proba2labels: { isBinary: true, maxProba: true } });
    // MODEL_PATH = {MODELS_PATH}/{COMPETITION}/{TASK}/{BASE_MODEL}: a hub id inside a path
    expect(cfg.variables.MODEL_PATH).toBe(
      '~/.deeppavlov/models/russian_super_glue/danetqa/DeepPavlov/rubert-base-cased',
    );
  });

  it('squad_ru_bert and the DistilBERT squad configs', () => {
    const ru = parse('squad_ru_bert');
    expect(ru.preprocessor).toMatchObject({
      maxSeqLength: 384,
      doLowerCase: false,
      inputs: ['question_raw', 'context_raw'],
    });
    expect(ru.files.weights?.path).toBe('squad_ru_torch_bert/DeepPavlov/rubert-base-cased/model.pth.tar');
    expect(parse('squad_ru_convers_distilrubert_2L').preprocessor.addTokenTypeIds).toBe(true);
  });

  it('ranking_ubuntu_v2: the transformer is a literal, 2 classes, probabilities by default', () => {
    const cfg = parse('ranking_ubuntu_v2_torch_bert_uncased');
    expect(cfg.head).toMatchObject({ className: 'torch_bert_ranker', labels: 2, returnProbas: true });
    expect(cfg.preprocessor).toMatchObject({
      className: 'torch_bert_ranker_preprocessor',
      doLowerCase: true,
      maxSeqLength: 128,
    });
  });

  it('bert_sentence_embedder: the model folder comes from the download', () => {
    const cfg = parse('bert_sentence_embedder');
    expect(cfg.files).toEqual({
      modelFolder: { download: 0, path: 'sentence_multi_cased_L-12_H-768_A-12_pt_v1' },
      modelConfig: { download: 0, path: 'sentence_multi_cased_L-12_H-768_A-12_pt_v1/config.json' },
      vocab: { download: 0, path: 'sentence_multi_cased_L-12_H-768_A-12_pt_v1/vocab.txt' },
    });
    expect(cfg.outputs).toEqual(['max_emb', 'mean_emb', 'pooler_output']);
  });

  it('configs without a download (the model was never published) parse but say so', () => {
    for (const name of ['boolqa_rubert', 'glue_mnli_cased_bert_torch', 'glue_rte_cased_bert_torch']) {
      expect(parse(name).weightsAvailable).toBe(false);
    }
  });
});

describe('parseDeepPavlovConfig on bad input', () => {
  const base = () => ({
    chainer: {
      in: ['x'],
      pipe: [
        { class_name: 'torch_transformers_preprocessor', vocab_file: '{TRANSFORMER}', in: ['x'] },
        {
          class_name: 'torch_transformers_classifier',
          n_classes: 3,
          pretrained_bert: '{TRANSFORMER}',
          load_path: '{MODEL_PATH}/model',
        },
      ],
      out: ['y'],
    },
    metadata: {
      variables: { ROOT: '/r', MODEL_PATH: '{ROOT}/m', TRANSFORMER: 'bert-base-cased' },
      download: [{ url: 'http://x/m.tar.gz', subdir: '{MODEL_PATH}' }],
    },
  });

  it('parses the minimal config', () => {
    const cfg = parseDeepPavlovConfig(base(), { name: 'mini' });
    expect(cfg.files.weights).toEqual({ download: 0, path: 'model.pth.tar' });
    expect(cfg.head.labels).toBe(3);
  });

  it('an unknown component is UNSUPPORTED, naming it', () => {
    const c = base();
    c.chainer.pipe.push({ class_name: 'fancy_thing' } as never);
    expect(() => parseDeepPavlovConfig(c)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED', details: expect.objectContaining({ component: 'fancy_thing' }) }),
    );
  });

  it('a non-BERT transformer is UNSUPPORTED, naming it', () => {
    const c = base();
    c.metadata.variables.TRANSFORMER = 'microsoft/deberta-v3-base';
    expect(() => parseDeepPavlovConfig(c)).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED',
        details: expect.objectContaining({ transformer: 'microsoft/deberta-v3-base' }),
      }),
    );
  });

  it('an unknown variable, a missing chainer and a bad setting are MODEL_INVALID', () => {
    const unknown = base();
    unknown.metadata.variables.MODEL_PATH = '{NOPE}/m';
    expect(() => parseDeepPavlovConfig(unknown)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
    expect(() => parseDeepPavlovConfig({ metadata: {} })).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
    const bad = base();
    (bad.chainer.pipe[0] as Record<string, unknown>).max_seq_length = 'long';
    expect(() => parseDeepPavlovConfig(bad)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
    expect(() => parseDeepPavlovConfig('nope')).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
  });

  it('"#id.len" must name a simple_vocab', () => {
    const c = base();
    (c.chainer.pipe[1] as Record<string, unknown>).n_classes = '#missing.len';
    expect(() => parseDeepPavlovConfig(c)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
  });

  it('Python str.format escapes and load_path suffixes follow DeepPavlov', () => {
    const c = base();
    c.metadata.variables.MODEL_PATH = '{ROOT}/m{{x}}';
    c.metadata.download[0] = { url: 'http://x/m.tar.gz', subdir: '{ROOT}' };
    (c.chainer.pipe[1] as Record<string, unknown>).load_path = '{MODEL_PATH}/model.v2';
    // Path('.../model.v2').with_suffix('.pth.tar') replaces '.v2'
    expect(parseDeepPavlovConfig(c).files.weights).toEqual({ download: 0, path: 'm{x}/model.pth.tar' });
  });
});

import { describe, expect, it } from 'vitest';
import { bytesSource } from '../io/byte-source.js';
import { parseLabelDict } from './checkpoint.js';
import { type EncoderConfig, parseEncoderConfig, parseTask } from './config.js';
import type { TensorRef } from './tensor.js';
import { MAX_ADDED_TOKENS, mapWeights, resolveTask } from './weights.js';

const H = 4;
const ENC: EncoderConfig = parseEncoderConfig({
  hidden_size: H,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 8,
  max_position_embeddings: 6,
  vocab_size: 10,
});

/** Shape-only tensor refs (mapping never reads bytes). */
function refs(entries: Record<string, number[]>): Map<string, TensorRef> {
  const source = bytesSource('none', new Uint8Array(0));
  return new Map(
    Object.entries(entries).map(([name, shape]) => [name, { name, dtype: 'F32', shape, source, byteOffset: 0 }]),
  );
}

function bert(prefix: string, options: { pooler?: boolean; gammaBeta?: boolean } = {}): Record<string, number[]> {
  const [w, b] = options.gammaBeta ? ['gamma', 'beta'] : ['weight', 'bias'];
  const out: Record<string, number[]> = {
    [`${prefix}embeddings.word_embeddings.weight`]: [10, H],
    [`${prefix}embeddings.position_embeddings.weight`]: [6, H],
    [`${prefix}embeddings.token_type_embeddings.weight`]: [2, H],
    [`${prefix}embeddings.LayerNorm.${w}`]: [H],
    [`${prefix}embeddings.LayerNorm.${b}`]: [H],
  };
  const l = `${prefix}encoder.layer.0`;
  for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
    out[`${l}.${n}.weight`] = [H, H];
    out[`${l}.${n}.bias`] = [H];
  }
  out[`${l}.intermediate.dense.weight`] = [8, H];
  out[`${l}.intermediate.dense.bias`] = [8];
  out[`${l}.output.dense.weight`] = [H, 8];
  out[`${l}.output.dense.bias`] = [H];
  for (const n of ['attention.output.LayerNorm', 'output.LayerNorm']) {
    out[`${l}.${n}.${w}`] = [H];
    out[`${l}.${n}.${b}`] = [H];
  }
  if (options.pooler) {
    out[`${prefix}pooler.dense.weight`] = [H, H];
    out[`${prefix}pooler.dense.bias`] = [H];
  }
  return out;
}

describe('task detection', () => {
  const names = (e: Record<string, number[]>) => Object.keys(e);
  const head = (prefix: string, name: string, rows: number) => ({
    [`${prefix}${name}.weight`]: [rows, H],
    [`${prefix}${name}.bias`]: [rows],
  });

  it('follows --task, then the checkpoint config, then the label file, then the heads', () => {
    const n = names({ ...bert('bert.', { pooler: true }), ...head('', 'classifier', 3) });
    expect(() => resolveTask(n, 'bert', {})).toThrow(/--task token-classification or --task sequence-classification/);
    expect(resolveTask(n, 'bert', { explicit: 'token-classification', fromConfig: 'sequence-classification' })).toBe(
      'token-classification',
    );
    expect(
      resolveTask(n, 'bert', { fromConfig: 'sequence-classification', fromLabelFile: 'token-classification' }),
    ).toBe('sequence-classification');
    expect(resolveTask(n, 'bert', { fromLabelFile: 'token-classification' })).toBe('token-classification');
  });

  it('reads the heads when nothing else says', () => {
    expect(resolveTask(names(bert('')), 'bert', {})).toBe('feature-extraction');
    expect(resolveTask(names({ ...bert('bert.'), ...head('', 'qa_outputs', 2) }), 'bert', {})).toBe(
      'question-answering',
    );
    expect(resolveTask(names({ ...bert('bert.'), ...head('', 'classifier', 5) }), 'bert', {})).toBe(
      'token-classification',
    );
    // DeepPavlov's is_binary head and NLLRanking's fc read the [CLS] vector: sequence heads.
    const binary = { ...head('', 'classifier.dense', H), ...head('', 'classifier.out_proj', 1) };
    expect(resolveTask(names({ ...bert('model.', { pooler: true }), ...binary }), 'bert', {})).toBe(
      'sequence-classification',
    );
    expect(resolveTask(names({ ...bert('encoder.', { pooler: true }), ...head('', 'fc', 1) }), 'bert', {})).toBe(
      'sequence-classification',
    );
  });
});

describe('mapWeights', () => {
  it('handles DataParallel prefixes, TF gamma/beta names, a prefixed CRF and ignores buffers', () => {
    const tensors = refs({
      ...bert('module.bert.', { gammaBeta: true }),
      'module.classifier.weight': [3, H],
      'module.classifier.bias': [3],
      'module.crf.transitions': [3, 3],
      'module.crf.start_transitions': [3],
      'module.crf.end_transitions': [3],
      'module.bert.embeddings.position_ids': [1, 6],
    });
    const mapped = mapWeights(tensors, ENC, { fromLabelFile: 'token-classification' });
    expect(mapped.task).toBe('token-classification');
    expect(mapped.numLabels).toBe(3);
    expect(mapped.weights.embeddingNorm.weight.name).toBe('module.bert.embeddings.LayerNorm.gamma');
    expect(mapped.weights.crf?.transitions.name).toBe('module.crf.transitions');
    expect(mapped.ignored).toEqual(['module.bert.embeddings.position_ids']);
    expect(mapped.unexpected).toEqual([]);
  });

  it('rejects more layers than the config has, and a CRF on a non-tagging model', () => {
    const extraLayer = { ...bert(''), 'encoder.layer.1.output.dense.bias': [H] };
    expect(() => mapWeights(refs(extraLayer), ENC, {})).toThrow(/2 layers but config\.json says 1/);
    const crf = { ...bert(''), 'crf.transitions': [3, 3], 'crf.start_transitions': [3], 'crf.end_transitions': [3] };
    expect(() => mapWeights(refs(crf), ENC, {})).toThrow(/CRF .* only makes sense for token classification/);
  });

  // deeppavlov/models/torch_bert/torch_transformers_classifier.py: AutoModelForBinaryClassification is
  // `model` (AutoModel) + BinaryClassificationHead (`dense`, tanh, `out_proj` with one output, on h[:, 0]).
  it("reads DeepPavlov's is_binary head (classifier.dense + classifier.out_proj) as a dense-tanh sequence head", () => {
    const tensors = refs({
      ...bert('model.', { pooler: true }),
      'classifier.dense.weight': [H, H],
      'classifier.dense.bias': [H],
      'classifier.out_proj.weight': [1, H],
      'classifier.out_proj.bias': [1],
    });
    for (const hints of [{}, { fromLabelFile: 'sequence-classification' as const }]) {
      const mapped = mapWeights(tensors, ENC, hints);
      expect([mapped.task, mapped.numLabels, mapped.weights.sequencePooling]).toEqual([
        'sequence-classification',
        1,
        'dense-tanh',
      ]);
      expect(mapped.weights.headDense?.weight.name).toBe('classifier.dense.weight');
      expect(mapped.weights.classifier?.weight.name).toBe('classifier.out_proj.weight');
      expect(mapped.weights.pooler).toBeUndefined();
      expect(mapped.ignored).toEqual(['model.pooler.dense.weight', 'model.pooler.dense.bias']);
      expect(mapped.unexpected).toEqual([]);
    }
  });

  // deeppavlov/models/torch_bert/torch_transformers_nll_ranking.py: NLLRanking is `encoder` (AutoModel,
  // resize_token_embeddings(len(tokenizer) + 7)) and `fc` = Linear(hidden, 1) on the [CLS] hidden state.
  it("reads DeepPavlov's NLLRanking (encoder.* + fc on the raw [CLS] state) with its 7 added word-embedding rows", () => {
    const tensors = refs({
      ...bert('encoder.', { pooler: true }),
      'encoder.embeddings.word_embeddings.weight': [17, H],
      'fc.weight': [1, H],
      'fc.bias': [1],
    });
    const mapped = mapWeights(tensors, ENC, {}, { configFromBase: true });
    expect([mapped.task, mapped.numLabels, mapped.weights.sequencePooling]).toEqual([
      'sequence-classification',
      1,
      'cls',
    ]);
    expect([mapped.addedTokens, mapped.encoder.vocabSize]).toEqual([7, 17]);
    expect(mapped.weights.classifier?.weight.name).toBe('fc.weight');
    expect(mapped.ignored).toEqual(['encoder.pooler.dense.weight', 'encoder.pooler.dense.bias']);
    // The rows must match a checkpoint's own config.json exactly.
    expect(() => mapWeights(tensors, ENC, {})).toThrow(/shape mismatch: encoder\.embeddings\.word_embeddings\.weight/);
  });

  it('takes added word-embedding rows only from a base config, and only a few', () => {
    const table = (rows: number) => refs({ ...bert('bert.'), 'bert.embeddings.word_embeddings.weight': [rows, H] });
    expect(mapWeights(table(10), ENC, {}, { configFromBase: true }).addedTokens).toBe(0);
    expect(mapWeights(table(10 + MAX_ADDED_TOKENS), ENC, {}, { configFromBase: true }).addedTokens).toBe(
      MAX_ADDED_TOKENS,
    );
    // More rows than that is another vocabulary (a wrong --base); fewer rows never fit.
    expect(() => mapWeights(table(11 + MAX_ADDED_TOKENS), ENC, {}, { configFromBase: true })).toThrow(/shape mismatch/);
    expect(() => mapWeights(table(9), ENC, {}, { configFromBase: true })).toThrow(/shape mismatch/);
  });

  it('lists a head the task does not use as unexpected', () => {
    const mapped = mapWeights(refs({ ...bert('bert.'), 'qa_outputs.weight': [2, H], 'qa_outputs.bias': [2] }), ENC, {
      explicit: 'feature-extraction',
    });
    expect(mapped.unexpected).toEqual(['qa_outputs.weight', 'qa_outputs.bias']);
  });
});

describe('config.json', () => {
  it('accepts old BERT configs without model_type and DistilBERT key names', () => {
    expect(ENC).toMatchObject({ family: 'bert', typeVocabSize: 2, layerNormEps: 1e-12, activation: 'gelu' });
    const distil = parseEncoderConfig({
      dim: 8,
      n_layers: 1,
      n_heads: 2,
      hidden_dim: 16,
      vocab_size: 5,
      max_position_embeddings: 4,
      activation: 'gelu',
    });
    expect(distil).toMatchObject({ family: 'distilbert', hiddenSize: 8, typeVocabSize: 0 });
  });

  it('refuses what it cannot convert faithfully', () => {
    const base = {
      model_type: 'bert',
      hidden_size: 4,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 8,
      max_position_embeddings: 6,
      vocab_size: 10,
    };
    expect(() => parseEncoderConfig({ ...base, hidden_act: 'swish' })).toThrow(/hidden_act "swish"/);
    expect(() => parseEncoderConfig({ ...base, position_embedding_type: 'relative_key' })).toThrow(/relative_key/);
    const { num_attention_heads: _, ...noHeads } = base;
    expect(() => parseEncoderConfig(noHeads)).toThrow(/lacks "num_attention_heads"/);
  });

  it('task aliases', () => {
    expect(parseTask('ner')).toBe('token-classification');
    expect(parseTask('QA')).toBe('question-answering');
    expect(parseTask('auto')).toBe('auto');
  });
});

describe('label dicts', () => {
  it('keeps file order, accepts tabs and spaces, rejects duplicates', () => {
    expect(parseLabelDict('O\t100\nB-PER 20\r\nI-PER\t7\n\n')).toEqual(['O', 'B-PER', 'I-PER']);
    expect(parseLabelDict('positive\nnegative\n')).toEqual(['positive', 'negative']);
    expect(() => parseLabelDict('O\t1\nO\t2\n')).toThrow(/appears twice/);
    expect(() => parseLabelDict('\n')).toThrow(/empty label dict/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseModelConfig, refineTask } from './config.js';

const bert = {
  architectures: ['BertForTokenClassification'],
  model_type: 'bert',
  hidden_size: 768,
  num_attention_heads: 12,
  num_hidden_layers: 12,
  intermediate_size: 3072,
  vocab_size: 119547,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  id2label: { '0': 'O', '1': 'B-PER', '2': 'I-PER' },
};

describe('parseModelConfig', () => {
  it('reads BERT configs', () => {
    const info = parseModelConfig(bert);
    expect(info).toMatchObject({
      modelType: 'bert',
      task: 'token-classification',
      hiddenSize: 768,
      numHeads: 12,
      numLayers: 12,
      vocabSize: 119547,
      maxPositions: 512,
      typeVocabSize: 2,
      labels: ['O', 'B-PER', 'I-PER'],
    });
  });

  it('reads DistilBERT naming and has no token types', () => {
    const info = parseModelConfig({
      architectures: ['DistilBertForQuestionAnswering'],
      model_type: 'distilbert',
      dim: 264,
      n_heads: 12,
      n_layers: 3,
      hidden_dim: 792,
      vocab_size: 29564,
      max_position_embeddings: 512,
    });
    expect(info).toMatchObject({
      task: 'question-answering',
      hiddenSize: 264,
      numLayers: 3,
      intermediateSize: 792,
      typeVocabSize: 0,
    });
  });

  it('reads problem_type and defaults the task to base', () => {
    const { architectures: _a, id2label: _l, ...plain } = bert;
    const info = parseModelConfig({ ...plain, problem_type: 'multi_label_classification' });
    expect(info.task).toBe('feature-extraction');
    expect(info.labels).toBeUndefined();
    expect(info.problemType).toBe('multi_label_classification');
  });

  it.each([
    ['not an object', 42],
    ['missing hidden size', { ...bert, hidden_size: undefined }],
    ['fractional heads', { ...bert, num_attention_heads: 1.5 }],
    ['indivisible heads', { ...bert, num_attention_heads: 7 }],
    ['gappy id2label', { ...bert, id2label: { '0': 'O', '2': 'X' } }],
    ['non-string label', { ...bert, id2label: { '0': 3 } }],
  ])('rejects %s with MODEL_INVALID', (_name, config) => {
    expect(() => parseModelConfig(config)).toThrowError(expect.objectContaining({ code: 'MODEL_INVALID' }));
  });
});

describe('refineTask', () => {
  it('infers the task from outputs when architectures is missing', () => {
    const base = parseModelConfig({ ...bert, architectures: undefined });
    expect(refineTask(base, ['start_logits', 'end_logits']).task).toBe('question-answering');
    expect(refineTask(base, ['logits'], 3).task).toBe('token-classification');
    expect(refineTask(base, ['logits'], 2).task).toBe('sequence-classification');
    expect(refineTask(base, ['last_hidden_state']).task).toBe('feature-extraction');
  });
});

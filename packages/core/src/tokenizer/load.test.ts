import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BertwebError } from '../errors.js';
import type { ModelFiles } from '../sources/types.js';
import { loadTokenizer } from './load.js';
import { bertTokenizerJson, syntheticVocabLines } from './test-utils/reference.js';

/** An in-memory model folder; records which files were read. */
function folder(files: Record<string, string>): ModelFiles & { read: string[] } {
  const read: string[] = [];
  const get = (name: string): string => {
    const content = files[name];
    if (content === undefined) throw new BertwebError('MODEL_NOT_FOUND', `${name} missing`);
    read.push(name);
    return content;
  };
  return {
    id: 'memory',
    read,
    exists: async (name) => name in files,
    bytes: async (name) => new TextEncoder().encode(get(name)),
    text: async (name) => get(name),
    json: async <T>(name: string) => JSON.parse(get(name)) as T,
  };
}

const vocab = syntheticVocabLines();
const vocabTxt = `${vocab.join('\n')}\n`;

describe('loadTokenizer', () => {
  it('takes a model source as well as resolved files: a folder path, or in-memory { files }', async () => {
    const fromPath = await loadTokenizer(fileURLToPath(new URL('../../../../models/ner-ru-tiny', import.meta.url)));
    expect(fromPath.encode('Москва').ids.length).toBeGreaterThan(2);
    const fromMap = await loadTokenizer({ files: { 'vocab.txt': new TextEncoder().encode(vocabTxt) } });
    expect(fromMap.encode('Hello').tokens[0]).toBe('[CLS]');
    await expect(loadTokenizer('/nonexistent/model')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('prefers tokenizer.json (with tokenizer_config.json)', async () => {
    const files = folder({
      'tokenizer.json': JSON.stringify(bertTokenizerJson(vocab)),
      'tokenizer_config.json': JSON.stringify({ model_max_length: 256 }),
      'vocab.txt': 'unused\n',
    });
    const tok = await loadTokenizer(files);
    expect(tok.kind).toBe('wordpiece');
    expect(tok.modelMaxLength).toBe(256);
    expect(tok.encode('Hello').tokens).toEqual(['[CLS]', 'hello', '[SEP]']);
    expect(files.read).toEqual(['tokenizer.json', 'tokenizer_config.json']);
  });

  it('falls back to vocab.txt with tokenizer_config.json and special_tokens_map.json', async () => {
    const files = folder({
      'vocab.txt': vocabTxt,
      'tokenizer_config.json': JSON.stringify({ do_lower_case: false }),
      'special_tokens_map.json': JSON.stringify({ mask_token: '[MASK]' }),
    });
    const tok = await loadTokenizer(files);
    expect(tok.encode('Hello').tokens).toEqual(['[CLS]', 'H', '##e', '##l', '##l', '##o', '[SEP]']);
    expect(tok.specialTokens.mask?.token).toBe('[MASK]');
    // vocab.txt alone works too (BertTokenizer defaults: lowercase).
    expect((await loadTokenizer(folder({ 'vocab.txt': vocabTxt }))).encode('Hello').tokens).toEqual([
      '[CLS]',
      'hello',
      '[SEP]',
    ]);
  });

  it('falls back to vocab.txt when tokenizer.json exists by exists() but is not found when read', async () => {
    const files = folder({ 'vocab.txt': vocabTxt });
    const lying = { ...files, exists: async (name: string) => name === 'tokenizer.json' || files.exists(name) };
    expect((await loadTokenizer(lying)).encode('Hello').tokens).toEqual(['[CLS]', 'hello', '[SEP]']);
  });

  it('lowercases or not as told, whatever the files say (DeepPavlov do_lower_case), accents following', async () => {
    const cased = folder({ 'vocab.txt': vocabTxt, 'tokenizer_config.json': JSON.stringify({ do_lower_case: false }) });
    expect((await loadTokenizer(cased, { lowercase: true })).encode('Hello').tokens).toEqual([
      '[CLS]',
      'hello',
      '[SEP]',
    ]);
    const uncased = folder({ 'vocab.txt': vocabTxt });
    expect((await loadTokenizer(uncased, { lowercase: false })).encode('Hello').tokens).toEqual(
      (await loadTokenizer(cased)).encode('Hello').tokens,
    );
    // tokenizer.json: the normalizer's lowercase is overridden; strip_accents unset follows it (Hugging Face).
    const json = folder({ 'tokenizer.json': JSON.stringify(bertTokenizerJson(vocab)) });
    const lower = await loadTokenizer(json);
    const keep = await loadTokenizer(json, { lowercase: false });
    expect(lower.encode('Héllo').tokens).toEqual(['[CLS]', 'hello', '[SEP]']);
    expect(keep.encode('Hello').tokens).not.toEqual(lower.encode('Hello').tokens);
    expect(keep.encode('Hello').tokens).toEqual((await loadTokenizer(cased)).encode('Hello').tokens);
  });

  it('fails with MODEL_NOT_FOUND without tokenizer.json or vocab.txt, TOKENIZER_MISMATCH for a broken one', async () => {
    await expect(loadTokenizer(folder({ 'config.json': '{}' }))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(loadTokenizer(folder({ 'vocab.txt': 'a\na\n' }))).rejects.toMatchObject({
      code: 'TOKENIZER_MISMATCH',
    });
    await expect(loadTokenizer(folder({ 'tokenizer.json': '{"model": 1}' }))).rejects.toMatchObject({
      code: 'TOKENIZER_MISMATCH',
    });
  });

  it('stops with ABORTED when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(loadTokenizer(folder({ 'vocab.txt': vocabTxt }), { signal: controller.signal })).rejects.toMatchObject(
      {
        code: 'ABORTED',
      },
    );
  });
});

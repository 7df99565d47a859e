/**
 * The DistilRuBERT-tiny-shape encoder the embedding benchmarks run (DistilBertModel, 2 layers, hidden 768,
 * 12 heads, FFN 3072, vocabulary 119,547; random N(0, 0.04) weights, seed 4321), generated once into
 * bench/.tmp/embeddings/distilrubert-tiny-shape/ (git-ignored), the folder bench/embeddings.bench.ts
 * writes too: /usr/bin/python3 writes the checkpoint with models/scripts/bertlib.py, @bertweb/convert
 * writes onnx/model.onnx (fp32) and onnx/model_quantized.onnx (q8). The tokenizer is bert-base-uncased's
 * real vocabulary padded with [unused] entries to 119,547 ids, as vocab.txt and an equivalent
 * tokenizer.json (+ tokenizer_config.json, which Transformers.js reads for the pad token).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bertTokenizerJson } from '../../packages/core/src/tokenizer/test-utils/reference.js';
import { isCurrentModel, markCurrentModel } from './converter-stamp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const tmp = path.join(root, 'bench', '.tmp', 'embeddings');
const bertVocab = path.join(root, '..', 'shared', 'data', 'tokenizers', 'bert-base-uncased', 'vocab.txt');

/**
 * Folder name of the model (also its Transformers.js model id under a local model path).
 *
 * @example
 * ```ts
 * pipeline('feature-extraction', TINY_EMBEDDING_MODEL);
 * ```
 */
export const TINY_EMBEDDING_MODEL = 'distilrubert-tiny-shape';
/** Vocabulary rows of the generated embedding models (DistilRuBERT-tiny's and rubert-base's). */
export const VOCAB_SIZE = 119_547;
const SPECIAL_TOKENS = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};

const PYTHON_CHECKPOINT = `
import json, os, sys, torch
sys.path.insert(0, os.path.join(os.environ["ROOT"], "models", "scripts"))
import bertlib
VOCAB = int(os.environ["VOCAB"])
config = bertlib.distilbert_config("DistilBertModel")
config.update({"dim": 768, "n_heads": 12, "n_layers": 2, "hidden_dim": 3072, "vocab_size": VOCAB})
config["max_position_embeddings"] = 512
model = bertlib.init_random_weights(bertlib.model_from_config(config), 4321, std=0.04)
out = os.environ["OUT"]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
torch.save(model.state_dict(), os.path.join(out, "pytorch_model.bin"))
print("checkpoint written:", sum(p.numel() for p in model.parameters()), "parameters")
`;

function vocabulary(): string[] {
  if (!existsSync(bertVocab)) throw new Error(`bert-base-uncased vocab.txt not found at ${bertVocab}`);
  const base = readFileSync(bertVocab, 'utf8').split('\n');
  if (base[base.length - 1] === '') base.pop();
  for (let i = base.length; i < VOCAB_SIZE; i++) base.push(`[unused_pad_${i}]`);
  return base;
}

/**
 * Tokenizer files shared by every system (vocab.txt for bertweb's loader, tokenizer.json for all; the
 * special tokens in tokenizer_config.json, where Transformers.js reads pad_token for batch padding):
 * bert-base-uncased's real vocabulary padded with [unused] rows to {@link VOCAB_SIZE}.
 *
 * @example
 * ```ts
 * writeTokenizerFiles(modelDir);
 * ```
 */
export function writeTokenizerFiles(dir: string): void {
  const vocab = vocabulary();
  const files: Record<string, string> = {
    'vocab.txt': `${vocab.join('\n')}\n`,
    'tokenizer.json': JSON.stringify(bertTokenizerJson(vocab)),
    'tokenizer_config.json': JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      ...SPECIAL_TOKENS,
    }),
    'special_tokens_map.json': JSON.stringify(SPECIAL_TOKENS),
  };
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    const target = path.join(dir, file);
    // Unchanged files keep their mtime (and so their HTTP validators between runs).
    if (!existsSync(target) || readFileSync(target, 'utf8') !== text) writeFileSync(target, text);
  }
}

/**
 * The model folder, generated (or regenerated after a converter change) when needed. Progress goes to
 * stderr: benchmarks print their report on stdout.
 *
 * @example
 * ```ts
 * const dir = await ensureTinyEmbeddingModel(); // .../bench/.tmp/embeddings/distilrubert-tiny-shape
 * ```
 */
export async function ensureTinyEmbeddingModel(): Promise<string> {
  const modelDir = path.join(tmp, TINY_EMBEDDING_MODEL);
  const checkpointDir = path.join(tmp, `${TINY_EMBEDDING_MODEL}-checkpoint`);
  if (!isCurrentModel(modelDir, ['onnx/model.onnx', 'onnx/model_quantized.onnx'])) {
    mkdirSync(checkpointDir, { recursive: true });
    if (!existsSync(path.join(checkpointDir, 'pytorch_model.bin'))) {
      const result = spawnSync('/usr/bin/python3', ['-c', PYTHON_CHECKPOINT], {
        env: { ...process.env, ROOT: root, OUT: checkpointDir, VOCAB: String(VOCAB_SIZE) },
        stdio: ['ignore', 2, 2],
      });
      if (result.status !== 0) throw new Error('python checkpoint generation failed');
    }
    writeTokenizerFiles(checkpointDir);
    const { convert } = await import('@bertweb/convert');
    const result = await convert({
      from: checkpointDir,
      out: modelDir,
      dtypes: ['fp32', 'q8'],
      task: 'feature-extraction',
      overwrite: true,
    });
    markCurrentModel(modelDir);
    console.error(
      `${TINY_EMBEDDING_MODEL}: converted in ${(result.ms / 1000).toFixed(1)} s: ${result.files.map((f) => `${f.name} ${(f.bytes / 1e6).toFixed(1)} MB`).join(', ')}`,
    );
  }
  writeTokenizerFiles(modelDir);
  return modelDir;
}

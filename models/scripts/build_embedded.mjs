#!/usr/bin/env node
// Builds the demo's embedded model with the project's own pipeline:
//   1. `bertweb convert` turns the trained PyTorch checkpoint (models/ner-ru-tiny/pytorch_model.bin,
//      HF names, from train_ner.py) into ONNX q8 (and fp32, kept out of git) in a scratch folder;
//   2. the q8 graph is copied to models/ner-ru-tiny/onnx/model_quantized.onnx;
//   3. `bertweb eval ner` scores it on factRuEval-2016 TEST (never trained on) and the numbers go into
//      models/ner-ru-tiny/model-card.json, which the demo shows:
//      - q8 / fp32: on the words of bertweb's run-time split (DeepPavlov 1.7's, the default), i.e. the
//        CoNLL export models/ner-ru-tiny/data/factru-test.conll of `ner_data.py --split test --conll`,
//        decoded with crf.json when the model folder has one (the tagger's default, --crf auto);
//      - q8NoCrf: the same words, argmax decoding (--crf off);
//      - q8CorpusTokens: on the corpus tokens (the factRuEval folder), like the scores before the 1.7 split.
// Usage: node models/scripts/build_embedded.mjs [--data ../shared/data/factRuEval-2016/testset]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const modelDir = join(repo, 'models', 'ner-ru-tiny');
const bin = join(repo, 'packages', 'cli', 'bin', 'bertweb.mjs');
const dataArg = process.argv.indexOf('--data');
const data = resolve(
  dataArg > 0 ? process.argv[dataArg + 1] : join(repo, '..', 'shared', 'data', 'factRuEval-2016', 'testset'),
);

const conll = join(modelDir, 'data', 'factru-test.conll');

const bertweb = (...args) =>
  execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

const scratch = mkdtempSync(join(tmpdir(), 'bertweb-embedded-'));
try {
  const out = join(scratch, 'converted');
  const summary = JSON.parse(
    bertweb('convert', '--from', modelDir, '--out', out, '--dtype', 'fp32,q8', '--task', 'token-classification'),
  );
  mkdirSync(join(modelDir, 'onnx'), { recursive: true });
  copyFileSync(join(out, 'onnx', 'model_quantized.onnx'), join(modelDir, 'onnx', 'model_quantized.onnx'));
  const hasCrf = existsSync(join(modelDir, 'crf.json'));
  if (hasCrf) copyFileSync(join(modelDir, 'crf.json'), join(out, 'crf.json'));
  const evaluate = (dtype, gold, ...flags) =>
    JSON.parse(
      bertweb('eval', 'ner', '--model', dtype === 'q8' ? modelDir : out, '--data', gold, '--dtype', dtype, ...flags),
    );
  const q8 = evaluate('q8', conll);
  const fp32 = evaluate('fp32', conll);
  const q8NoCrf = hasCrf ? evaluate('q8', conll, '--crf', 'off') : undefined;
  const q8CorpusTokens = evaluate('q8', data);
  const card = {
    name: 'ner-ru-tiny',
    task: 'token-classification',
    language: 'ru',
    labels: ['PER', 'ORG', 'LOC'],
    trainedOn: 'factRuEval-2016 devset (+ faker-generated sentences); never on the testset',
    evaluatedOn:
      'factRuEval-2016 testset, entity-level P/R/F1 as seqeval (bertweb eval ner), on the words of the ' +
      "run-time split (DeepPavlov 1.7's)" +
      (hasCrf ? ', CRF decoding (crf.json)' : ''),
    wordSplit: 'deeppavlov-1.7',
    decoding: hasCrf ? 'crf' : 'argmax',
    q8,
    fp32,
    ...(q8NoCrf ? { q8NoCrf } : {}),
    q8CorpusTokens,
    sizes: {
      q8Bytes: statSync(join(modelDir, 'onnx', 'model_quantized.onnx')).size,
      fp32Bytes: statSync(join(out, 'onnx', 'model.onnx')).size,
    },
    conversion: { tool: 'bertweb convert', ms: summary.ms },
    builtAt: new Date().toISOString(),
  };
  writeFileSync(join(modelDir, 'model-card.json'), `${JSON.stringify(card, null, 2)}\n`);
  console.log(JSON.stringify(card, null, 2));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * The hub fixtures (models/fixtures/hub, made by models/scripts/make_hub_fixtures.py): checkpoints in the
 * file layouts of real hub repositories, for load-time conversion tests against the local model server.
 * Node only.
 *
 * @example
 * ```ts
 * const server = await startModelServer({ files: hubServerFiles() });
 * const files = resolveSource({ hub: 'DeepPavlov/rubert-base-cased', baseUrl: server.url });
 * const ref = hubReference('DeepPavlov/rubert-base-cased');
 * ```
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `models/fixtures/hub`. */
export const HUB_FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../models/fixtures/hub',
);

/** Repos that convert and match their PyTorch reference. */
export const HUB_REPOS = [
  'DeepPavlov/rubert-base-cased',
  'DeepPavlov/distilrubert-tiny-cased-conversational',
  'DeepPavlov/rubert-base-cased-sentence',
  'DeepPavlov/bert-base-multilingual-cased-sentence',
  'bertweb-fixtures/bert-safetensors-only',
  'sentence-transformers/LaBSE',
] as const;

/** Repos that must fail, with the code and a message pattern each gives. */
export const BROKEN_HUB_REPOS = {
  'bertweb-broken/missing-tensor': {
    code: 'MODEL_INVALID',
    message: /missing tensor.*encoder\.layer\.1\.output\.dense\.weight/,
  },
  'bertweb-broken/extra-tensor': {
    code: 'MODEL_INVALID',
    message: /does not use: encoder\.layer\.0\.attention\.self\.rotary\.weight/,
  },
  'bertweb-broken/truncated': { code: 'MODEL_INVALID', message: /truncated/ },
  'bertweb-broken/unknown-architecture': { code: 'UNSUPPORTED', message: /model_type "roberta" is not supported/ },
  'bertweb-broken/malicious-pickle': { code: 'MODEL_INVALID', message: /refusing to load global os\.system/ },
} as const;

/** The file the malicious fixture's payload would create if anything executed it. */
export const MALICIOUS_MARKER = '/tmp/bertweb-hub-pwned';

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(full).isDirectory() ? listFiles(full, rel) : [rel];
  });
}

/** The files of one repo (names relative to the repo, `2_Dense/config.json`), as bytes. */
export function hubRepoFiles(repo: string): Map<string, Uint8Array> {
  const dir = path.join(HUB_FIXTURES, 'repos', repo);
  return new Map(listFiles(dir).map((name) => [name, new Uint8Array(readFileSync(path.join(dir, name)))]));
}

/**
 * Every repo's files keyed as the hub serves them (`<owner>/<name>/resolve/<revision>/<file>`): the
 * `files` option of `startModelServer`.
 */
export function hubServerFiles(
  repos: readonly string[] = [...HUB_REPOS, ...Object.keys(BROKEN_HUB_REPOS)],
  revision = 'main',
): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const repo of repos)
    for (const [name, bytes] of hubRepoFiles(repo)) out[`${repo}/resolve/${revision}/${name}`] = bytes;
  return out;
}

/** A float tensor of a reference file. */
export interface RefTensor {
  readonly dims: number[];
  readonly data: number[];
}

/** PyTorch outputs on the fixed texts (make_hub_fixtures.py). */
export interface HubReference {
  readonly texts: string[];
  readonly tokens: string[][];
  readonly inputs: Record<'input_ids' | 'attention_mask' | 'token_type_ids', number[][]>;
  readonly outputs: Partial<
    Record<'last_hidden_state' | 'pooler_output' | 'mean_pooled' | 'sentence_embedding', RefTensor>
  >;
}

/** The reference of one repo. */
export function hubReference(repo: string): HubReference {
  return JSON.parse(readFileSync(path.join(HUB_FIXTURES, 'references', `${repo}.json`), 'utf8'));
}

// Regenerates the DeepPavlov part of models/catalog.json from the real DeepPavlov 1.7 configs
// (../shared/data/deeppavlov-1.7-configs/): `deeppavlovConfigs` (one entry per BERT-family config, or the
// component that makes it UNSUPPORTED), and the sizes of the DeepPavlov/* hub models, adding the ones the
// configs use that the catalog lacked. Other hub entries are left as they are.
// Usage: pnpm exec tsx models/scripts/build_catalog.ts
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deepPavlovCatalog, hubEntrySizes } from '../../packages/convert/src/deeppavlov/catalog.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const configsDir = join(repo, '..', 'shared', 'data', 'deeppavlov-1.7-configs');
const catalogPath = join(repo, 'models', 'catalog.json');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.json') ? [p] : [];
  });
}

const configs = walk(configsDir)
  .sort()
  .map((file) => ({
    name: file
      .split('/')
      .pop()
      ?.replace(/\.json$/, '') as string,
    json: JSON.parse(readFileSync(file, 'utf8')),
  }));
const catalog = JSON.parse(readFileSync(catalogPath, 'utf8'));
const updated = { ...catalog, models: hubEntrySizes(catalog.models), deeppavlovConfigs: deepPavlovCatalog(configs) };
updated.$comment = catalog.$comment.replace(
  /q4 4-bit MatMul weights \(MatMulNBits, block 32\) with fp32 embeddings/,
  'q4 4-bit MatMul weights (MatMulNBits, block 32) with 4-bit word embeddings (int8 when the width is not a multiple of 32); DeepPavlov/* sizes and deeppavlovConfigs come from packages/convert/src/deeppavlov/catalog.ts (models/scripts/build_catalog.ts)',
);
writeFileSync(catalogPath, `${JSON.stringify(updated, null, 2)}\n`);
console.log(`catalog: ${updated.models.length} hub models, ${updated.deeppavlovConfigs.length} DeepPavlov configs`);

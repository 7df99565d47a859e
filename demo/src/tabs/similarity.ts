/**
 * Similarity tab: sentences -> cosine-similarity heatmap; semantic search over a pasted or uploaded
 * corpus with top-k. Vectors are computed in the worker; the (small) similarity math runs here.
 */
import { similarityMatrix, topK } from '@bertweb/embeddings';
import { field, h } from '../app/dom.js';
import { formatScore } from '../app/format.js';
import { type TabContext, TabFrame } from '../app/tab-frame.js';

const SENTENCES = [
  'The cat sits on the mat.',
  'A kitten is resting on a rug.',
  'Stock markets fell sharply today.',
  'Shares dropped on the exchange this morning.',
  'Кошка сидит на коврике.',
];

const CORPUS = [
  'WebGPU gives web pages access to the graphics card for computation.',
  'WebAssembly runs compiled code in the browser at near-native speed.',
  'The Cache API stores HTTP responses for offline use.',
  'A service worker can serve an app shell without a network connection.',
  'BERT is a transformer encoder pretrained with masked language modeling.',
  'Named entity recognition finds people, places and organizations in text.',
  'Extractive question answering selects an answer span from a passage.',
  'Moscow is the capital and largest city of Russia.',
  'Quantization stores model weights in 8 or 4 bits to save memory.',
  'Sentence embeddings map texts to vectors whose cosine reflects meaning.',
].join('\n');

interface Embeddings {
  readonly data: Float32Array;
  readonly rows: number;
  readonly dim: number;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Builds the similarity tab. */
export function similarityTab(ctx: TabContext): TabFrame<'embedder'> {
  const frame = new TabFrame(
    'similarity',
    'embedder',
    'Similarity and search',
    'Sentence vectors (mean, max, CLS or pooler pooling), compared by cosine similarity.',
    ctx,
  );
  const pooling = h(
    'select',
    { name: 'pooling' },
    h('option', { value: '' }, 'Model default'),
    ...['mean', 'max', 'cls', 'pooler'].map((p) => h('option', { value: p }, p)),
  );
  const embedOptions = () => (pooling.value ? { pooling: pooling.value as 'mean' | 'max' | 'cls' | 'pooler' } : {});

  const sentences = h('textarea', { name: 'sentences', rows: 6 });
  sentences.value = SENTENCES.join('\n');
  const heatmapCard = frame.addForm(
    'Sentence similarity',
    [field('Sentences, one per line', sentences), field('Pooling', pooling)],
    'Compare',
    async () => {
      const texts = lines(sentences.value).slice(0, 40);
      const vectors = await frame.run((embedder, signal) => embedder.embed(texts, { ...embedOptions(), signal }), {
        items: texts.length,
        chars: texts.join('').length,
      });
      if (vectors) heatmapCard.show(heatmap(texts, vectors));
    },
  );

  const corpus = h('textarea', { name: 'corpus', rows: 8 });
  corpus.value = CORPUS;
  const upload = h('input', { type: 'file', accept: '.txt,text/plain' });
  upload.addEventListener('change', async () => {
    const file = upload.files?.[0];
    if (file) corpus.value = await file.text();
  });
  const query = h('input', { type: 'text', name: 'query', autocomplete: 'off' });
  query.value = 'How do web apps work offline?';
  const k = h('select', { name: 'k' }, ...[3, 5, 10].map((n) => h('option', { value: n }, String(n))));
  let indexed: { key: string; docs: string[]; vectors: Embeddings } | undefined;
  const searchCard = frame.addForm(
    'Semantic search',
    [
      field('Corpus, one document per line', corpus),
      field('…or upload a .txt file', upload),
      field('Query', query),
      field('Results', k),
    ],
    'Search',
    async () => {
      const docs = lines(corpus.value).slice(0, 2000);
      const q = query.value;
      const key = `${docs.join('\n')}\u0000${pooling.value}\u0000${String(frame.slot.head ? 1 : 0)}`;
      const reuse = indexed?.key === key && frame.slot.head !== undefined;
      const texts = reuse ? [q] : [q, ...docs];
      const vectors = await frame.run((embedder, signal) => embedder.embed(texts, { ...embedOptions(), signal }), {
        items: texts.length,
        chars: texts.join('').length,
      });
      if (!vectors) return;
      const dim = vectors.dim;
      const queryVector = { data: vectors.data.slice(0, dim), rows: 1, dim };
      if (!reuse) indexed = { key, docs, vectors: { data: vectors.data.slice(dim), rows: docs.length, dim } };
      const index = indexed as NonNullable<typeof indexed>;
      const scores = similarityMatrix(queryVector, index.vectors).data;
      const hits = topK(scores, index.docs.length, Number(k.value));
      searchCard.show(
        h('h3', {}, `Top ${hits.length} of ${index.docs.length}${reuse ? ' (corpus vectors reused)' : ''}`),
        h(
          'ol',
          { class: 'hits', 'data-testid': 'search-hits' },
          ...hits.map((hit) =>
            h('li', {}, h('span', { class: 'score' }, formatScore(hit.score)), ' ', index.docs[hit.index] ?? ''),
          ),
        ),
      );
    },
  );
  return frame;
}

/** Cosine similarity as a colored table (values printed, so color is never the only cue). */
function heatmap(texts: readonly string[], vectors: Embeddings): HTMLElement {
  const m = similarityMatrix(vectors, vectors);
  const header = h(
    'tr',
    {},
    h('td', {}),
    ...texts.map((_, j) => h('th', { scope: 'col', title: texts[j] ?? '' }, String(j + 1))),
  );
  const rows = texts.map((text, i) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row', title: text }, `${i + 1}`),
      ...texts.map((_, j) => {
        const value = m.data[i * m.cols + j] ?? 0;
        const shade = Math.max(0, Math.min(1, (value + 1) / 2));
        const lightness = 97 - shade * 62;
        return h(
          'td',
          {
            class: 'cell',
            style: `background: hsl(214 60% ${lightness.toFixed(0)}%); color: ${textOn(214, 0.6, lightness / 100)}`,
            'data-value': value.toFixed(4),
            title: `${i + 1} vs ${j + 1}: ${value.toFixed(3)}`,
          },
          value.toFixed(2),
        );
      }),
    ),
  );
  return h(
    'div',
    { class: 'heatmap-wrap' },
    h('h3', {}, 'Cosine similarity'),
    h(
      'div',
      { class: 'scroll', role: 'region', 'aria-label': 'Similarity heatmap', tabindex: '0' },
      h('table', { class: 'heatmap', 'data-testid': 'heatmap' }, h('thead', {}, header), h('tbody', {}, ...rows)),
    ),
    h('ol', { class: 'legend' }, ...texts.map((t) => h('li', {}, t))),
  );
}

/** Black or white text, whichever contrasts more with the HSL background (>= 4.5:1 either way). */
function textOn(hue: number, saturation: number, lightness: number): string {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const c = lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(8) + 0.0722 * channel(4);
  const onWhite = 1.05 / (luminance + 0.05);
  const onBlack = (luminance + 0.05) / 0.05;
  return onWhite >= onBlack ? '#fff' : '#111';
}

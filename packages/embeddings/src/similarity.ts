/** Cosine similarity between vectors and between the rows of two matrices. */
import { BertwebError } from '@bertweb/core';
import type { EmbeddingMatrix } from './types.js';

/**
 * Cosine similarity of two vectors of the same length; 0 when either is a zero vector.
 *
 * @example
 * ```ts
 * similarity([1, 0], [1, 1]); // 0.7071...
 * ```
 */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new BertwebError('INPUT_INVALID', `vectors of different dimensions: ${a.length} and ${b.length}`);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/**
 * A `rows x cols` matrix of similarities: entry (i, j) compares row i of A with row j of B.
 *
 * @example
 * ```ts
 * const { data, rows, cols }: SimilarityMatrix = similarityMatrix(a, b);
 * ```
 */
export interface SimilarityMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Cosine similarity of every row of `a` with every row of `b`.
 *
 * @example
 * ```ts
 * const m = similarityMatrix(await embedder.embed(queries), await embedder.embed(docs));
 * m.data[i * m.cols + j]; // query i vs doc j
 * ```
 */
export function similarityMatrix(a: EmbeddingMatrix, b: EmbeddingMatrix): SimilarityMatrix {
  checkMatrix(a, 'a');
  checkMatrix(b, 'b');
  if (a.dim !== b.dim) {
    throw new BertwebError('INPUT_INVALID', `matrices of different dimensions: ${a.dim} and ${b.dim}`);
  }
  const dim = a.dim;
  const normsA = rowNorms(a);
  const normsB = rowNorms(b);
  const out = new Float32Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    const ai = i * dim;
    for (let j = 0; j < b.rows; j++) {
      const bj = j * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += (a.data[ai + d] as number) * (b.data[bj + d] as number);
      const denom = (normsA[i] as number) * (normsB[j] as number);
      out[i * b.rows + j] = denom === 0 ? 0 : dot / denom;
    }
  }
  return { data: out, rows: a.rows, cols: b.rows };
}

/**
 * Throws INPUT_INVALID unless `m.data` holds exactly `rows * dim` numbers.
 *
 * @example
 * ```ts
 * checkMatrix({ data: new Float32Array(6), rows: 2, dim: 3 }, 'queries');
 * ```
 */
export function checkMatrix(m: EmbeddingMatrix, name: string): void {
  if (
    !m ||
    !(m.data instanceof Float32Array) ||
    !Number.isInteger(m.rows) ||
    !Number.isInteger(m.dim) ||
    m.rows < 0 ||
    m.dim < 1 ||
    m.data.length !== m.rows * m.dim
  ) {
    throw new BertwebError('INPUT_INVALID', `${name} must be {data: Float32Array(rows * dim), rows, dim}`);
  }
}

function rowNorms(m: EmbeddingMatrix): Float64Array {
  const norms = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let sum = 0;
    for (let d = 0; d < m.dim; d++) sum += (m.data[i * m.dim + d] as number) ** 2;
    norms[i] = Math.sqrt(sum);
  }
  return norms;
}

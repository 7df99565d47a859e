/** Compares runtime outputs (padding removed, one record per row) with a fixture's PyTorch reference. */

/** One reference case of `models/fixtures/<name>/reference.json`. */
export interface ReferenceCase {
  readonly name: string;
  readonly inputs: {
    readonly input_ids: number[][];
    readonly attention_mask: number[][];
    readonly token_type_ids?: number[][];
  };
  readonly outputs: Readonly<Record<string, { readonly dims: number[]; readonly data: number[] }>>;
}

/** A runtime output of one row. */
export interface RowOutput {
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}

/**
 * Row `r` of output `name` without padding, as `positions` vectors of `width` values: [b, s, d] outputs
 * have one vector per unpadded token; [b, s] (span logits) one vector of the unpadded positions; pooled
 * [b, d] outputs the row. `rowSize` is the padded row's size in the reference data.
 */
function unpaddedLayout(
  reference: ReferenceCase,
  name: string,
  r: number,
): { positions: number; width: number; rowSize: number } {
  const dims = reference.outputs[name]?.dims ?? [];
  const padded = reference.inputs.input_ids[0]?.length ?? 0;
  const rowSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const hasSequence = dims.length >= 2 && dims[1] === padded && name !== 'pooler_output';
  if (!hasSequence) return { positions: 1, width: rowSize, rowSize };
  const unpadded = (reference.inputs.attention_mask[r] ?? []).filter((m) => m === 1).length;
  if (dims.length >= 3) return { positions: unpadded, width: dims.slice(2).reduce((a, b) => a * b, 1), rowSize };
  return { positions: 1, width: unpadded, rowSize };
}

/** Max |runtime - reference| per output over unpadded positions (Infinity on a shape mismatch). */
export function compareCase(
  reference: ReferenceCase,
  rows: readonly Readonly<Record<string, RowOutput>>[],
): {
  maxDiff: number;
  perOutput: Record<string, number>;
  problems: string[];
} {
  const perOutput: Record<string, number> = {};
  const problems: string[] = [];
  const batch = reference.inputs.input_ids.length;
  if (rows.length !== batch) problems.push(`expected ${batch} rows, got ${rows.length}`);
  for (const [name, ref] of Object.entries(reference.outputs)) {
    let max = 0;
    for (let r = 0; r < batch; r++) {
      const out = rows[r]?.[name];
      const { positions, width, rowSize } = unpaddedLayout(reference, name, r);
      const expectedSize = positions * width;
      if (!out || out.data.length !== expectedSize) {
        problems.push(`${name} row ${r}: expected ${expectedSize} values, got ${out?.data.length ?? 'none'}`);
        max = Number.POSITIVE_INFINITY;
        continue;
      }
      for (let i = 0; i < expectedSize; i++) {
        const want = ref.data[r * rowSize + i] as number;
        const diff = Math.abs((out.data[i] as number) - want);
        if (!(diff <= max)) max = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
      }
    }
    perOutput[name] = max;
  }
  const maxDiff = Math.max(0, ...Object.values(perOutput));
  return { maxDiff, perOutput, problems };
}

function cosine(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    dot += (x[i] as number) * (y[i] as number);
    nx += (x[i] as number) ** 2;
    ny += (y[i] as number) ** 2;
  }
  return dot / Math.sqrt(nx * ny);
}

/**
 * The quantized variants' bounds (issue 4): the lowest cosine per output of vectors mean-pooled over the
 * unpadded positions (or of the rows of pooled outputs), and the share of positions whose token-logit
 * argmax agrees (`logits` with a sequence axis only).
 */
export function agreementWith(
  reference: ReferenceCase,
  rows: readonly Readonly<Record<string, RowOutput>>[],
): { minCosine: Record<string, number>; argmaxAgreement?: number } {
  const minCosine: Record<string, number> = {};
  let agree = 0;
  let positions = 0;
  for (const [name, ref] of Object.entries(reference.outputs)) {
    const perToken = ref.dims.length >= 3;
    let min = 1;
    reference.inputs.input_ids.forEach((_, r) => {
      const out = rows[r]?.[name];
      // Per-token vectors are mean-pooled; other layouts are one vector per row.
      const { positions: length, width, rowSize } = unpaddedLayout(reference, name, r);
      if (!out || out.data.length !== length * width) {
        min = Number.NaN;
        return;
      }
      const want = new Float64Array(width);
      const got = new Float64Array(width);
      for (let t = 0; t < length; t++) {
        let bestWant = 0;
        let bestGot = 0;
        for (let d = 0; d < width; d++) {
          const w = ref.data[r * rowSize + t * width + d] as number;
          const g = out.data[t * width + d] as number;
          want[d] = (want[d] as number) + w;
          got[d] = (got[d] as number) + g;
          if (w > (ref.data[r * rowSize + t * width + bestWant] as number)) bestWant = d;
          if (g > (out.data[t * width + bestGot] as number)) bestGot = d;
        }
        if (perToken && name === 'logits') {
          positions++;
          if (bestWant === bestGot) agree++;
        }
      }
      min = Math.min(min, cosine(want, got));
    });
    minCosine[name] = min;
  }
  return positions > 0 ? { minCosine, argmaxAgreement: agree / positions } : { minCosine };
}

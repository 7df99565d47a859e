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
  const padded = reference.inputs.input_ids[0]?.length ?? 0;
  if (rows.length !== batch) problems.push(`expected ${batch} rows, got ${rows.length}`);
  for (const [name, ref] of Object.entries(reference.outputs)) {
    let max = 0;
    // Per-token outputs have the padded sequence as their second axis; pooled ones do not.
    const perToken = ref.dims.length >= 2 && ref.dims[1] === padded && name !== 'pooler_output';
    const rowSize = ref.dims.slice(1).reduce((a, b) => a * b, 1);
    const tokenSize = ref.dims.slice(2).reduce((a, b) => a * b, 1);
    for (let r = 0; r < batch; r++) {
      const out = rows[r]?.[name];
      const mask = reference.inputs.attention_mask[r] ?? [];
      const length = perToken ? mask.filter((m) => m === 1).length : 1;
      const expectedSize = perToken ? length * tokenSize : rowSize;
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

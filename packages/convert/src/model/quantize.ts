/**
 * Weight transforms for the ONNX variants: transposes for MatMul, int8 per-channel / per-row and 4-bit
 * block quantization. All symmetric (zero point 0, or 8 for 4-bit), so no zero-point tensors are needed.
 */

/**
 * Stacks PyTorch Linear weights ([out_i, in] each, concatenated along out) and transposes the result to
 * the [in, out] layout ONNX MatMul expects. `scales[i]` multiplies block i (used to fold the attention
 * 1/sqrt(head_dim) into the query weights).
 */
export function stackTransposed(
  blocks: readonly Float32Array[],
  outs: readonly number[],
  inputs: number,
  scales?: readonly number[],
): Float32Array {
  const total = outs.reduce((a, b) => a + b, 0);
  const out = new Float32Array(inputs * total);
  let column = 0;
  blocks.forEach((w, b) => {
    const rows = outs[b] as number;
    const scale = scales?.[b] ?? 1;
    for (let r = 0; r < rows; r++) {
      const rowBase = r * inputs;
      const col = column + r;
      for (let k = 0; k < inputs; k++) out[k * total + col] = (w[rowBase + k] as number) * scale;
    }
    column += rows;
  });
  return out;
}

/** Concatenates PyTorch Linear weights along out ([sum out, in], no transpose), scaling block i by scales[i]. */
export function stackRows(blocks: readonly Float32Array[], scales?: readonly number[]): Float32Array {
  const total = blocks.reduce((a, b) => a + b.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  blocks.forEach((w, b) => {
    const scale = scales?.[b] ?? 1;
    if (scale === 1) out.set(w, offset);
    else for (let i = 0; i < w.length; i++) out[offset + i] = (w[i] as number) * scale;
    offset += w.length;
  });
  return out;
}

/** Symmetric int8 quantization of a [rows, cols] matrix with one scale per column (MatMul B, axis 1). */
export function quantizeInt8PerColumn(
  matrix: Float32Array,
  rows: number,
  cols: number,
): { values: Int8Array; scales: Float32Array } {
  const maxAbs = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(matrix[base + c] as number);
      if (a > (maxAbs[c] as number)) maxAbs[c] = a;
    }
  }
  const scales = new Float32Array(cols);
  const inverse = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    const s = (maxAbs[c] as number) > 0 ? (maxAbs[c] as number) / 127 : 1;
    scales[c] = s;
    inverse[c] = 1 / (scales[c] as number);
  }
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const q = Math.round((matrix[base + c] as number) * (inverse[c] as number));
      values[base + c] = q > 127 ? 127 : Math.max(q, -127);
    }
  }
  return { values, scales };
}

/** Symmetric int8 quantization with one scale per row (embedding tables: dequantized after Gather). */
export function quantizeInt8PerRow(
  matrix: Float32Array,
  rows: number,
  cols: number,
): { values: Int8Array; scales: Float32Array } {
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let maxAbs = 0;
    for (let c = 0; c < cols; c++) maxAbs = Math.max(maxAbs, Math.abs(matrix[base + c] as number));
    const scale = maxAbs > 0 ? maxAbs / 127 : 1;
    scales[r] = scale;
    const inv = 1 / (scales[r] as number);
    for (let c = 0; c < cols; c++) {
      const q = Math.round((matrix[base + c] as number) * inv);
      values[base + c] = q > 127 ? 127 : Math.max(q, -127);
    }
  }
  return { values, scales };
}

/**
 * Block quantization along each row of a [rows, k] matrix in the com.microsoft MatMulNBits layout:
 * `packed` is [rows, ceil(k / blockSize), blockSize * bits / 8], codes packed low bits first (two per byte
 * for 4 bits); `scales` is [rows * blocks]. Symmetric around the default zero point 2^(bits-1), so no
 * zero-point tensor is needed: value = (code - zp) * scale.
 *
 * Each block's scale is searched rather than taken from its maximum: starting from `m / -zp` (m = the
 * value of largest magnitude, which then maps exactly to code 0), a few shrunken candidates are rounded
 * and the least-squares scale for their codes is kept when it lowers the block's squared error. Clipping a
 * rare large value costs less than coarse steps for all the others.
 */
export function quantizeBlocks(
  matrix: Float32Array,
  rows: number,
  k: number,
  blockSize: number,
  bits: 4 | 8,
): { packed: Uint8Array; scales: Float32Array } {
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zp = 1 << (bits - 1);
  const low = -zp;
  const high = (1 << bits) - 1 - zp;
  const packed = new Uint8Array(rows * blocks * blob);
  const scales = new Float32Array(rows * blocks);
  const codes = new Uint8Array(blockSize);
  const trial = new Uint8Array(blockSize);
  const candidates = bits === 4 ? [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7] : [1, 0.97, 0.94, 0.9];
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      const start = r * k + b * blockSize;
      const n = Math.min(blockSize, k - b * blockSize);
      let m = 0;
      let largest = 0;
      for (let i = 0; i < n; i++) {
        const v = matrix[start + i] as number;
        const a = v < 0 ? -v : v;
        if (a > largest) {
          largest = a;
          m = v;
        }
      }
      codes.fill(zp);
      let bestScale = 1;
      if (m !== 0) {
        // With the least-squares scale s = xc / cc, the squared error is sum(x^2) - xc^2 / cc:
        // the best candidate maximizes xc^2 / cc, so one pass per candidate suffices.
        let bestGain = -1;
        for (let c = 0; c < candidates.length; c++) {
          const inv = low / (m * (candidates[c] as number));
          let xc = 0;
          let cc = 0;
          for (let i = 0; i < n; i++) {
            const x = matrix[start + i] as number;
            let q = Math.floor(x * inv + 0.5);
            q = q < low ? low : Math.min(q, high);
            trial[i] = q + zp;
            xc += x * q;
            cc += q * q;
          }
          if (cc === 0) continue;
          const gain = (xc * xc) / cc;
          if (gain > bestGain) {
            bestGain = gain;
            bestScale = xc / cc;
            for (let i = 0; i < n; i++) codes[i] = trial[i] as number;
          }
        }
      }
      scales[r * blocks + b] = bestScale;
      const out = (r * blocks + b) * blob;
      if (bits === 8) packed.set(codes, out);
      else
        for (let i = 0; i < blockSize; i += 2)
          packed[out + (i >> 1)] = (codes[i] as number) | ((codes[i + 1] as number) << 4);
    }
  }
  return { packed, scales };
}

/** Byte view of a typed array (no copy). */
export function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Rows of `(W - dequantized W) @ mean` for block-quantized rows ([rows, k], MatMulNBits layout): the
 * systematic part of the quantization error for inputs whose mean is `mean`. Adding it to the bias removes
 * that part (bias correction, as in Nagel et al. 2019, "Data-Free Quantization").
 */
export function blockErrorTimesMean(
  matrix: Float32Array,
  quantized: { packed: Uint8Array; scales: Float32Array },
  rows: number,
  k: number,
  blockSize: number,
  bits: 4 | 8,
  mean: ArrayLike<number>,
): Float32Array {
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zp = 1 << (bits - 1);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let b = 0; b < blocks; b++) {
      const scale = quantized.scales[r * blocks + b] as number;
      const base = (r * blocks + b) * blob;
      const n = Math.min(blockSize, k - b * blockSize);
      for (let i = 0; i < n; i++) {
        const byte = quantized.packed[base + (bits === 8 ? i : i >> 1)] as number;
        const code = bits === 8 ? byte : i & 1 ? byte >> 4 : byte & 15;
        const col = b * blockSize + i;
        sum += ((matrix[r * k + col] as number) - (code - zp) * scale) * (mean[col] as number);
      }
    }
    out[r] = sum;
  }
  return out;
}

/**
 * Per-vector symmetric quantization with rigorous error bounds: the arithmetic on which the index's
 * exactness rests.
 *
 * A stored row x (float32) becomes int8 codes c with one float32 scale s = max|x_d| / 127 and
 * c_d = x_d / s rounded to an integer (see {@link quantizeRow} for the exact operations; any rounding
 * would do, since the bounds use the actual residuals). A query q becomes int16 codes with its own
 * scale (range {@link queryCodeMax}). Writing x^ = s c and q^ = s_q c_q:
 *
 *   x . q - x^ . q^ = (x - x^) . q + x^ . (q - q^),  so  |x . q - x^ . q^| <= |x - x^| |q| + |x^| |q - q^|
 *
 * (Cauchy-Schwarz). The norms are computed exactly enough: each residual x_d - s c_d is exact in float64
 * (a non-zero code means |x_d| >= s / 2 (1 - 2^-22), so both terms are multiples of ulp(s) / 4, and
 * the difference is below 2^9 s: at most 34 significant bits), and every float64 sum of squares is
 * rounded up by its worst-case relative error.
 */

/**
 * Largest int8 code (symmetric range, so -128 never occurs).
 *
 * @example
 * ```ts
 * const max = CODE_MAX; // 127
 * ```
 */
export const CODE_MAX = 127;

/** 2^-52. */
const EPS = 2 ** -52;

/**
 * The largest int16 query code for `stride` (padded dimension): chosen so that |sum_d c_d q_d| <=
 * stride * 127 * max < 2^31, i.e. the kernels' int32 result is exact. 32767 (full int16) up to
 * dimension 516; 22017 at 768; 0 (no first pass possible) above 16.9 M dimensions.
 *
 * @example
 * ```ts
 * queryCodeMax(768); // 22017
 * ```
 */
export function queryCodeMax(stride: number): number {
  return Math.min(32767, Math.floor((2 ** 31 - 1) / (CODE_MAX * stride)));
}

/** Rounds a non-negative bound up to a float32 that is >= it (fround errs by at most 2^-24 relative). */
function float32Up(x: number): number {
  return Math.fround(x * (1 + 2 ** -20));
}

/**
 * Upper bound of sqrt(sum) for a float64 sum of `terms` non-negative terms computed in recursive order:
 * its relative error is at most gamma_terms < (terms + 1) 2^-53, the square root adds half an ulp.
 */
function sqrtUp(sum: number, terms: number): number {
  return Math.sqrt(sum) * (1 + (terms + 8) * EPS);
}

/**
 * What a stored row needs besides its codes.
 *
 * @example
 * ```ts
 * const { scale, residual, codeNorm }: RowBounds = quantizeRow(vector, 0, dim, codes, 0);
 * ```
 */
export interface RowBounds {
  /** The float32 scale s (0 for a zero vector). */
  scale: number;
  /**
   * Upper bound of |x - x^| plus the float64 rounding of the exact re-score: the rescored cosine is a
   * recursive float64 sum of `dim` exact products, within gamma_dim sum|x_d q_d| <= gamma_dim |x| |q| of
   * the real x . q; |x| <= |x^| + |x - x^|. Multiplied by |q| in the query bound.
   */
  residual: number;
  /** Upper bound of |x^| = s |c| (multiplied by |q - q^| in the query bound). */
  codeNorm: number;
}

/**
 * 1.5 * 2^52: v + ROUNDER (|v| < 2^51) lies where float64 spacing is 1, so the addition rounds v to an
 * integer, ties to even, and subtracting it again is exact. (The WebAssembly kernel does the same in
 * float32 with 1.5 * 2^23: the same integer.)
 */
const ROUNDER = 6755399441055744;

/**
 * Quantizes `src[from .. from + dim)` into `codes[to .. to + dim)` (the caller zeroes any padding) and
 * returns its bounds, each a float32 rounded up. The codes are the same bits as the WebAssembly
 * kernel's: s = f32(max / 127), c = f32(x * f32(1 / s)) rounded to an integer, ties to even (float64
 * results of these operations rounded to float32 equal the float32 operations: double rounding is
 * innocuous for +, x and / at 53 >= 2 * 24 + 2 bits).
 *
 * @example
 * ```ts
 * const bounds = quantizeRow(vector, 0, 768, codes, row * stride);
 * ```
 */
export function quantizeRow(src: Float32Array, from: number, dim: number, codes: Int8Array, to: number): RowBounds {
  let max = 0;
  for (let d = 0; d < dim; d++) {
    const a = Math.abs(src[from + d] as number);
    if (a > max) max = a;
  }
  const scale = Math.fround(max / CODE_MAX);
  if (!hasNormalScale(scale)) return zeroCodedRow(src, from, dim, codes, to);
  // x * inv <= max / scale (1 + 2^-24) < 127 (1 + 2^-22): the rounded code never leaves [-127, 127].
  const inv = Math.fround(1 / scale);
  let residualSquares = 0;
  let codeSquares = 0;
  for (let d = 0; d < dim; d++) {
    const x = src[from + d] as number;
    const c = Math.fround(x * inv) + ROUNDER - ROUNDER;
    codes[to + d] = c;
    const r = x - scale * c; // exact, see the module comment
    residualSquares += r * r;
    codeSquares += c * c; // an exact integer
  }
  return rowBounds(scale, residualSquares, codeSquares, dim, dim);
}

/**
 * Whether a row's scale is a normal float32 (so 1 / scale does not overflow): rows below that are
 * zero or far too tiny to come from normalization, and are coded as all zeros.
 *
 * @example
 * ```ts
 * hasNormalScale(0.001); // true
 * hasNormalScale(0); // false
 * ```
 */
export function hasNormalScale(scale: number): boolean {
  return scale >= 2 ** -126 && scale < Number.POSITIVE_INFINITY;
}

/**
 * Bounds of a row from its scale, float64 sum of squared residuals (over at most `terms` terms in any
 * order) and exact sum of squared codes.
 *
 * @example
 * ```ts
 * const bounds = rowBounds(scale, residualSquares, codeSquares, stride, dim); // from the WASM quantizer
 * ```
 */
export function rowBounds(
  scale: number,
  residualSquares: number,
  codeSquares: number,
  terms: number,
  dim: number,
): RowBounds {
  const residual = sqrtUp(residualSquares, terms);
  const codeNorm = Math.sqrt(codeSquares) * scale * (1 + 4 * EPS);
  const rescoreSlack = (dim + 8) * 2 * EPS * (codeNorm + residual);
  return { scale, residual: float32Up(residual + rescoreSlack), codeNorm: float32Up(codeNorm) };
}

/**
 * A zero row, or one so tiny that its scale is not a normal float32 (or a corrupt non-finite one, whose
 * residual comes out non-finite): all codes 0, the residual is x itself.
 *
 * @example
 * ```ts
 * zeroCodedRow(new Float32Array(4), 0, 4, codes, 0); // { scale: 0, residual: 0, codeNorm: 0 }
 * ```
 */
export function zeroCodedRow(src: Float32Array, from: number, dim: number, codes: Int8Array, to: number): RowBounds {
  codes.fill(0, to, to + dim);
  let squares = 0;
  for (let d = 0; d < dim; d++) squares += (src[from + d] as number) ** 2;
  return rowBounds(0, squares, 0, dim, dim);
}

/**
 * A query prepared for the first pass.
 *
 * @example
 * ```ts
 * const { codes, scale, norm, residual }: QuantizedQuery = quantizeQuery(q, dim, stride, queryCodeMax(stride));
 * ```
 */
export interface QuantizedQuery {
  /** int16 codes, zero-padded to the index's stride. */
  readonly codes: Int16Array;
  /** The float32 scale s_q (0 for a zero query). */
  readonly scale: number;
  /** Upper bound of |q| (for the residual term). */
  readonly norm: number;
  /** Upper bound of |q - q^|. */
  readonly residual: number;
}

/**
 * Quantizes a float32 query (already normalized) to int16 codes of at most `codeMax` in magnitude.
 *
 * @example
 * ```ts
 * const prepared = quantizeQuery(query, 768, 768, queryCodeMax(768));
 * ```
 */
export function quantizeQuery(query: Float32Array, dim: number, stride: number, codeMax: number): QuantizedQuery {
  const codes = new Int16Array(stride);
  let max = 0;
  let squares = 0;
  for (let d = 0; d < dim; d++) {
    const v = query[d] as number;
    squares += v * v; // exact products of float32 values
    const a = Math.abs(v);
    if (a > max) max = a;
  }
  const norm = sqrtUp(squares, dim);
  // codeMax < 2^22, so max / scale <= codeMax (1 + 2^-23) < codeMax + 0.5: the clamp never bites.
  const scale = codeMax >= 1 ? Math.fround(max / codeMax) : 0;
  // A zero query, or no integer range at all (over 16.9 M dimensions): q^ = 0 and q - q^ = q, which
  // keeps every bound valid (and makes every row a candidate unless the query is zero).
  if (scale === 0) return { codes, scale: 0, norm, residual: norm };
  let residualSquares = 0;
  for (let d = 0; d < dim; d++) {
    const v = query[d] as number;
    const c = Math.max(-codeMax, Math.min(codeMax, Math.round(v / scale)));
    codes[d] = c;
    // Exact in float64 as for rows: multiples of ulp(scale) / 2 below 2^17 scale (at most 42 bits).
    const r = v - scale * c;
    residualSquares += r * r;
  }
  return { codes, scale, norm, residual: sqrtUp(residualSquares, dim) };
}

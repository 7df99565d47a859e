/**
 * The BERT / DistilBERT encoder and heads as an ONNX graph (opset 17), built from checkpoint weights.
 *
 * Attention is unfused with an additive mask bias (standard MatMul/Softmax), so the graph runs on every
 * ORT-web backend with padding masks; only the q4 variant uses a contrib op (com.microsoft MatMulNBits).
 * Batch and sequence are symbolic. Weights are read and transformed while the file is written.
 */
import type { Dtype, ModelTask } from '../core.js';
import type { EncoderConfig } from '../model/config.js';
import { activationOutputMean, linearOutputMean, normOutputMean } from '../model/input-means.js';
import { blockErrorTimesMean, bytesOf, quantizeBlocks, stackRows, stackTransposed } from '../model/quantize.js';
import { float32ToHalfBits, ROW_BLOCK_BYTES, readFloat32, readFloat32Rows, type TensorRef } from '../model/tensor.js';
import type { Linear, ModelWeights, Norm } from '../model/weights.js';
import { CONVERTER_VERSION } from '../version.js';
import { DataType, float, GraphBuilder } from './graph.js';
import type { ProtoMessage } from './proto.js';
import { BLOCK_SIZE, gatherInt8Rows, gatherQ4Rows, lazy, matMulInt8, matMulNBits, shared } from './quantized-ops.js';

/**
 * How the q8 variant multiplies (int8 weights, one scale per output channel):
 * - `per-row`: each token's activations quantized with their own scale, then an integer MatMul
 *   (MatMulInteger): a text's result never depends on its batch neighbours or on padding;
 * - `dynamic`: one activation scale for the whole batch tensor (DynamicQuantizeLinear + MatMulInteger);
 * - `nbits`: com.microsoft MatMulNBits with 8-bit blocks of 32 (weight-only);
 * - `dequantize`: DequantizeLinear + a float MatMul (weight-only).
 */
export type Q8Mode = 'per-row' | 'dequantize' | 'dynamic' | 'nbits';

/**
 * Every {@link Q8Mode}, the default first.
 *
 * @example
 * ```ts
 * if (!Q8_MODES.includes(mode as Q8Mode)) throw new Error(`use one of ${Q8_MODES.join(', ')}`);
 * ```
 */
export const Q8_MODES: readonly Q8Mode[] = ['per-row', 'dynamic', 'nbits', 'dequantize'];

/** Options for {@link buildBertGraph}. */
export interface GraphOptions {
  readonly dtype: Dtype;
  /** q8 only; default `dynamic` (DynamicQuantizeLinear + MatMulInteger: the fastest on WASM, see README). */
  readonly q8Mode?: Q8Mode;
  /** q4 only: MatMulNBits `accuracy_level` (0 = fp32 math, 4 = int8 activations); default 4. */
  readonly q4AccuracyLevel?: number;
  /** Quantize the word embedding table in q8/q4 (int8 per row, or 4-bit blocks); default true. */
  readonly quantizeEmbeddings?: boolean;
}

const SQRT2 = Math.SQRT2;

/**
 * q8 `per-row` zero points of the feed-forward output layer's input, an activation's output: ReLU's is
 * >= 0 (all 256 codes for the positive side), GELU's >= -0.17, so an eighth of the codes (32) cover the
 * negative side and the rest the positive (the scale still fits each row's own minimum). Measured at real
 * width, 16 texts: 1 - cosine vs fp32 1.44e-4 with 32, 1.54e-4 with the symmetric 128.
 */
const ACTIVATION_ZERO_POINTS: Readonly<Record<EncoderConfig['activation'], number>> = {
  gelu: 32,
  gelu_tanh: 32,
  relu: 0,
};

/** The q8 matmul style when none is asked for. */
export const DEFAULT_Q8_MODE: Q8Mode = 'per-row';

/**
 * Builds the ONNX model of a checkpoint for one dtype; returns the ModelProto (write it with its chunks).
 *
 * @example
 * ```ts
 * const model = buildBertGraph(encoderConfig, mapped.weights, 'token-classification', { dtype: 'q8' });
 * await writeChunks(model.toChunks(), (b) => out.write(b));
 * ```
 */
export function buildBertGraph(
  enc: EncoderConfig,
  weights: ModelWeights,
  task: ModelTask,
  options: GraphOptions,
): ProtoMessage {
  return new BertGraph(enc, weights, task, options).build();
}

class BertGraph {
  private readonly g: GraphBuilder;
  /** Compute type of activations: fp16 in the fp16 variant, else fp32. */
  private readonly ct: DataType;
  private readonly headDim: number;
  private usesContribOps = false;

  constructor(
    private readonly enc: EncoderConfig,
    private readonly w: ModelWeights,
    private readonly task: ModelTask,
    private readonly options: GraphOptions,
  ) {
    this.g = new GraphBuilder(`bertweb_${enc.family}_${task}`);
    this.ct = options.dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
    this.headDim = enc.hiddenSize / enc.numHeads;
  }

  build(): ProtoMessage {
    const { g, enc } = this;
    const dims = ['batch', 'sequence'];
    const inputIds = g.input('input_ids', DataType.INT64, dims);
    const attentionMask = g.input('attention_mask', DataType.INT64, dims);
    const tokenTypeIds = enc.family === 'bert' ? g.input('token_type_ids', DataType.INT64, dims) : undefined;

    let x = this.embeddings(inputIds, tokenTypeIds);
    const maskBias = this.maskBias(attentionMask);
    this.w.layers.forEach((layer, i) => {
      const inputNorm = i === 0 ? this.w.embeddingNorm : (this.w.layers[i - 1]?.outputNorm as Norm);
      x = this.layer(x, maskBias, layer, i, inputNorm);
    });
    this.heads(x);
    const opsets: Record<string, number> = { '': 17 };
    if (this.usesContribOps) opsets['com.microsoft'] = 1;
    return g.toModel({
      opsets,
      producer: 'bertweb-convert',
      producerVersion: CONVERTER_VERSION,
      metadata: { 'bertweb.dtype': this.options.dtype, 'bertweb.task': this.task },
    });
  }

  // ---- weights -------------------------------------------------------------------------------

  /** A float tensor stored in the compute type (fp32, or fp16 in the fp16 variant). */
  private floatWeight(name: string, ref: TensorRef): string {
    const count = ref.shape.reduce((a, b) => a * b, 1);
    const half = this.ct === DataType.FLOAT16;
    const encode = (values: Float32Array): Uint8Array => (half ? bytesOf(float32ToHalfBits(values)) : bytesOf(values));
    // Large tables (word embeddings) are copied row block by row block, never held whole.
    const pieces =
      count * 4 > ROW_BLOCK_BYTES
        ? async function* () {
            for await (const block of readFloat32Rows(ref)) yield encode(block);
          }
        : undefined;
    return this.g.initializer(
      name,
      half ? DataType.FLOAT16 : DataType.FLOAT,
      ref.shape,
      lazy(count * (half ? 2 : 4), async () => encode(await readFloat32(ref)), pieces),
    );
  }

  private floatConstant(values: readonly number[], dims: readonly number[] = []): string {
    if (this.ct === DataType.FLOAT) return this.g.float32(values, dims);
    const bits = float32ToHalfBits(new Float32Array(values));
    return this.g.initializer(this.g.fresh('const_f16'), DataType.FLOAT16, dims, bytesOf(bits));
  }

  private norm(x: string, norm: Norm, name: string): string {
    const scale = this.floatWeight(`${name}.weight`, norm.weight);
    const bias = this.floatWeight(`${name}.bias`, norm.bias);
    return this.g.node('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: float(this.enc.layerNormEps) });
  }

  /**
   * x @ W^T + b for one or more Linear layers stacked along their outputs. `quantize` says whether the
   * variant's weight quantization applies (heads stay in float for accuracy; they are tiny). `inputMean`,
   * the expected input (see model/input-means.ts), turns on bias correction for MatMulNBits weights.
   * `zeroPoint` is the q8 `per-row` activation zero point (see quantizeRows): 128 unless the input is an
   * activation's output, bounded below.
   */
  private linear(
    x: string,
    layers: readonly Linear[],
    name: string,
    quantize: boolean,
    scales?: readonly number[],
    inputMean?: () => Promise<Float32Array>,
    zeroPoint = 128,
  ): string {
    const outs = layers.map((l) => l.weight.shape[0] as number);
    const n = outs.reduce((a, b) => a + b, 0);
    const k = layers[0]?.weight.shape[1] as number;
    const readRows = async () => stackRows(await Promise.all(layers.map((l) => readFloat32(l.weight))), scales);
    const readTransposed = async () =>
      stackTransposed(await Promise.all(layers.map((l) => readFloat32(l.weight))), outs, k, scales);
    const dtype = quantize ? this.options.dtype : this.options.dtype === 'fp16' ? 'fp16' : 'fp32';
    let y: string;
    let biasShift: (() => Promise<Float32Array>) | undefined;
    if (dtype === 'fp32') {
      const wt = this.g.initializer(
        `${name}.weight_t`,
        DataType.FLOAT,
        [k, n],
        lazy(k * n * 4, async () => bytesOf(await readTransposed())),
      );
      y = this.g.node('MatMul', [x, wt]);
    } else if (dtype === 'fp16') {
      const wt = this.g.initializer(
        `${name}.weight_t`,
        DataType.FLOAT16,
        [k, n],
        lazy(k * n * 2, async () => bytesOf(float32ToHalfBits(await readTransposed()))),
      );
      y = this.g.node('MatMul', [x, wt]);
    } else if (dtype === 'q8' && (this.options.q8Mode ?? DEFAULT_Q8_MODE) !== 'nbits') {
      const mode = this.options.q8Mode ?? DEFAULT_Q8_MODE;
      y = matMulInt8(this.g, x, name, readTransposed, k, n, mode === 'nbits' ? 'per-row' : mode, zeroPoint);
    } else {
      // MatMulNBits: 4-bit (q4) or 8-bit (q8 in `nbits` mode) blocks along K.
      this.usesContribOps = true;
      const bits = dtype === 'q4' ? 4 : 8;
      // Bias correction: the error of the rounded weights times the expected input goes into the bias,
      // so it is not added to every token (measured: 1 - cosine down 15-20% at BERT-base width).
      const quantized = shared(
        async () => {
          const rows = await readRows();
          const q = quantizeBlocks(rows, n, k, BLOCK_SIZE, bits);
          const shift = inputMean && blockErrorTimesMean(rows, q, n, k, BLOCK_SIZE, bits, await inputMean());
          return { ...q, shift };
        },
        inputMean ? 3 : 2, // packed codes, scales (and the bias) are written from one quantization
      );
      y = matMulNBits(this.g, x, name, readRows, n, k, bits, this.options.q4AccuracyLevel ?? 4, quantized);
      if (inputMean) biasShift = async () => (await quantized()).shift ?? new Float32Array(n);
    }
    const bias = this.stackedBias(layers, `${name}.bias`, scales, biasShift);
    return this.g.node('Add', [y, bias]);
  }

  private stackedBias(
    layers: readonly Linear[],
    name: string,
    scales?: readonly number[],
    shift?: () => Promise<Float32Array>,
  ): string {
    const n = layers.reduce((a, l) => a + (l.bias.shape[0] as number), 0);
    const read = async () => {
      const bias = stackRows(await Promise.all(layers.map((l) => readFloat32(l.bias))), scales);
      if (shift) {
        const s = await shift();
        for (let i = 0; i < n; i++) bias[i] = (bias[i] as number) + (s[i] as number);
      }
      return bias;
    };
    if (this.ct === DataType.FLOAT16) {
      return this.g.initializer(
        name,
        DataType.FLOAT16,
        [n],
        lazy(n * 2, async () => bytesOf(float32ToHalfBits(await read()))),
      );
    }
    return this.g.initializer(
      name,
      DataType.FLOAT,
      [n],
      lazy(n * 4, async () => bytesOf(await read())),
    );
  }

  // ---- embeddings ----------------------------------------------------------------------------

  private embeddings(inputIds: string, tokenTypeIds: string | undefined): string {
    const { g } = this;
    let x = this.wordEmbeddings(inputIds);
    // Positions 0..S-1: slice the position table to the sequence length.
    const seqLen = g.node('Slice', [g.node('Shape', [inputIds]), g.int64([1]), g.int64([2])]);
    const positionTable = this.floatWeight('embeddings.position_embeddings.weight', this.w.positionEmbeddings);
    const positions = g.node('Slice', [positionTable, g.int64([0]), seqLen, g.int64([0])]);
    x = g.node('Add', [x, positions]);
    if (tokenTypeIds && this.w.tokenTypeEmbeddings) {
      const typeTable = this.floatWeight('embeddings.token_type_embeddings.weight', this.w.tokenTypeEmbeddings);
      x = g.node('Add', [x, g.node('Gather', [typeTable, tokenTypeIds], { axis: 0 })]);
    }
    return this.norm(x, this.w.embeddingNorm, 'embeddings.LayerNorm');
  }

  private wordEmbeddings(inputIds: string): string {
    const { g, enc, w } = this;
    const V = enc.vocabSize;
    const H = enc.hiddenSize;
    const ref = w.wordEmbeddings;
    const quantize = this.options.quantizeEmbeddings ?? true;
    const dtype = this.options.dtype;
    if (!quantize || dtype === 'fp32' || dtype === 'fp16') {
      return g.node('Gather', [this.floatWeight('embeddings.word_embeddings.weight', ref), inputIds], { axis: 0 });
    }
    // Row blocks: the table (367 MB for rubert, 1.5 GB for LaBSE) is never read whole.
    const rows = () => readFloat32Rows(ref);
    const name = 'embeddings.word_embeddings.weight';
    if (dtype === 'q4' && H % BLOCK_SIZE === 0) return gatherQ4Rows(g, name, rows, V, H, inputIds);
    return gatherInt8Rows(g, name, rows, V, H, inputIds);
  }

  /** [batch, 1, 1, sequence] additive bias: 0 where attended, a large negative number where masked. */
  private maskBias(attentionMask: string): string {
    const { g } = this;
    const mask = g.node('Cast', [attentionMask], { to: this.ct });
    const inverted = g.node('Sub', [this.floatConstant([1]), mask]);
    // fp32 matches Hugging Face (finfo.min); fp16 uses -1e4, which cannot overflow to -inf when added.
    const negative = this.ct === DataType.FLOAT16 ? -1e4 : -3.4028234663852886e38;
    const bias = g.node('Mul', [inverted, this.floatConstant([negative])]);
    return g.node('Unsqueeze', [bias, g.int64([1, 2])]);
  }

  // ---- encoder ---------------------------------------------------------------------------------

  private layer(
    x: string,
    maskBias: string,
    layer: ModelWeights['layers'][number],
    i: number,
    inputNorm: Norm,
  ): string {
    const { g, enc } = this;
    const H = enc.hiddenSize;
    const prefix = `encoder.layer.${i}`;
    const heads = [0, 0, enc.numHeads, this.headDim];
    // One MatMul for Q, K and V; 1/sqrt(head_dim) is folded into the query weights and bias.
    const inputMean = () => normOutputMean(inputNorm);
    const qkv = this.linear(
      x,
      [layer.query, layer.key, layer.value],
      `${prefix}.attention.qkv`,
      true,
      [1 / Math.sqrt(this.headDim), 1, 1],
      inputMean,
    );
    const [q, k, v] = g.nodeMulti('Split', [qkv, g.int64([H, H, H])], 3, { axis: -1 });
    const qh = g.node('Transpose', [g.node('Reshape', [q as string, g.int64(heads)])], { perm: [0, 2, 1, 3] });
    const kh = g.node('Transpose', [g.node('Reshape', [k as string, g.int64(heads)])], { perm: [0, 2, 3, 1] });
    const vh = g.node('Transpose', [g.node('Reshape', [v as string, g.int64(heads)])], { perm: [0, 2, 1, 3] });
    const scores = g.node('Add', [g.node('MatMul', [qh, kh]), maskBias]);
    const probs = g.node('Softmax', [scores], { axis: -1 });
    const context = g.node('Transpose', [g.node('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] });
    const merged = g.node('Reshape', [context, g.int64([0, 0, H])]);
    const attention = this.linear(
      merged,
      [layer.attentionOutput],
      `${prefix}.attention.output`,
      true,
      undefined,
      async () => linearOutputMean(layer.value, await inputMean()),
    );
    const x1 = this.norm(g.node('Add', [attention, x]), layer.attentionNorm, `${prefix}.attention.LayerNorm`);
    const hidden = this.activation(
      this.linear(x1, [layer.intermediate], `${prefix}.intermediate`, true, undefined, () =>
        normOutputMean(layer.attentionNorm),
      ),
    );
    const out = this.linear(
      hidden,
      [layer.output],
      `${prefix}.output`,
      true,
      undefined,
      () => activationOutputMean(layer.intermediate, layer.attentionNorm, this.enc.activation),
      ACTIVATION_ZERO_POINTS[this.enc.activation],
    );
    return this.norm(g.node('Add', [out, x1]), layer.outputNorm, `${prefix}.output.LayerNorm`);
  }

  private activation(x: string): string {
    const { g } = this;
    switch (this.enc.activation) {
      case 'relu':
        return g.node('Relu', [x]);
      case 'gelu': {
        // 0.5 * x * (1 + erf(x / sqrt(2))): the pattern ORT fuses into its Gelu kernel.
        const erf = g.node('Erf', [g.node('Div', [x, this.floatConstant([SQRT2])])]);
        return g.node('Mul', [
          g.node('Mul', [x, g.node('Add', [erf, this.floatConstant([1])])]),
          this.floatConstant([0.5]),
        ]);
      }
      case 'gelu_tanh': {
        const cube = g.node('Mul', [g.node('Mul', [x, x]), x]);
        const inner = g.node('Add', [x, g.node('Mul', [cube, this.floatConstant([0.044715])])]);
        const tanh = g.node('Tanh', [g.node('Mul', [inner, this.floatConstant([Math.sqrt(2 / Math.PI)])])]);
        return g.node('Mul', [
          g.node('Mul', [x, this.floatConstant([0.5])]),
          g.node('Add', [tanh, this.floatConstant([1])]),
        ]);
      }
    }
  }

  // ---- heads -----------------------------------------------------------------------------------

  private output(value: string, name: string, dims: readonly (string | number)[]): void {
    const out = this.ct === DataType.FLOAT ? value : this.g.node('Cast', [value], { to: DataType.FLOAT });
    this.g.output(out, DataType.FLOAT, dims, name);
  }

  private heads(x: string): void {
    const { g, enc, w } = this;
    const H = enc.hiddenSize;
    const first = () => g.node('Gather', [x, g.int64([0], [])], { axis: 1 });
    switch (this.task) {
      case 'feature-extraction': {
        this.output(x, 'last_hidden_state', ['batch', 'sequence', H]);
        if (w.pooler) {
          const pooled = g.node('Tanh', [this.linear(first(), [w.pooler], 'pooler.dense', true)]);
          this.output(pooled, 'pooler_output', ['batch', H]);
        }
        return;
      }
      case 'token-classification': {
        const classifier = w.classifier as Linear;
        const labels = classifier.weight.shape[0] as number;
        this.output(this.linear(x, [classifier], 'classifier', false), 'logits', ['batch', 'sequence', labels]);
        return;
      }
      case 'question-answering': {
        const logits = this.linear(x, [w.qaOutputs as Linear], 'qa_outputs', false);
        this.output(g.node('Gather', [logits, g.int64([0], [])], { axis: 2 }), 'start_logits', ['batch', 'sequence']);
        this.output(g.node('Gather', [logits, g.int64([1], [])], { axis: 2 }), 'end_logits', ['batch', 'sequence']);
        return;
      }
      case 'sequence-classification': {
        const classifier = w.classifier as Linear;
        const labels = classifier.weight.shape[0] as number;
        const pooling = w.sequencePooling ?? (enc.family === 'distilbert' ? 'pre-classifier' : 'pooler');
        let pooled: string;
        switch (pooling) {
          case 'pre-classifier':
            pooled = g.node('Relu', [this.linear(first(), [w.preClassifier as Linear], 'pre_classifier', true)]);
            break;
          case 'pooler':
            pooled = g.node('Tanh', [this.linear(first(), [w.pooler as Linear], 'pooler.dense', true)]);
            break;
          case 'dense-tanh':
            // DeepPavlov's BinaryClassificationHead: out_proj(tanh(dense(h[:, 0]))) (dropout is off at inference).
            pooled = g.node('Tanh', [this.linear(first(), [w.headDense as Linear], 'classifier.dense', true)]);
            break;
          case 'cls':
            // DeepPavlov's NLLRanking: fc(h[:, 0]), the raw [CLS] hidden state.
            pooled = first();
            break;
        }
        this.output(this.linear(pooled, [classifier], 'classifier', false), 'logits', ['batch', labels]);
        return;
      }
    }
  }
}

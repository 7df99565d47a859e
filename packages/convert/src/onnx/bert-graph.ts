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
import { float32ToHalfBits, readFloat32, type TensorRef } from '../model/tensor.js';
import type { Linear, ModelWeights, Norm } from '../model/weights.js';
import { DataType, float, GraphBuilder } from './graph.js';
import type { ProtoMessage } from './proto.js';
import { BLOCK_SIZE, gatherInt8Rows, gatherQ4Rows, lazy, matMulInt8, matMulNBits, shared } from './quantized-ops.js';

/** How the q8 variant multiplies: int8 weights dequantized before a float MatMul, or integer MatMul. */
export type Q8Mode = 'dequantize' | 'dynamic' | 'nbits';

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
      producerVersion: '0.1.0',
      metadata: { 'bertweb.dtype': this.options.dtype, 'bertweb.task': this.task },
    });
  }

  // ---- weights -------------------------------------------------------------------------------

  /** A float tensor stored in the compute type (fp32, or fp16 in the fp16 variant). */
  private floatWeight(name: string, ref: TensorRef): string {
    const count = ref.shape.reduce((a, b) => a * b, 1);
    if (this.ct === DataType.FLOAT16) {
      return this.g.initializer(
        name,
        DataType.FLOAT16,
        ref.shape,
        lazy(count * 2, async () => bytesOf(float32ToHalfBits(await readFloat32(ref)))),
      );
    }
    return this.g.initializer(
      name,
      DataType.FLOAT,
      ref.shape,
      lazy(count * 4, async () => bytesOf(await readFloat32(ref))),
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
   */
  private linear(
    x: string,
    layers: readonly Linear[],
    name: string,
    quantize: boolean,
    scales?: readonly number[],
    inputMean?: () => Promise<Float32Array>,
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
    } else if (dtype === 'q8' && (this.options.q8Mode ?? 'dynamic') !== 'nbits') {
      y = matMulInt8(
        this.g,
        x,
        name,
        readTransposed,
        k,
        n,
        this.options.q8Mode === 'dequantize' ? 'dequantize' : 'dynamic',
      );
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
    const read = () => readFloat32(ref);
    const name = 'embeddings.word_embeddings.weight';
    if (dtype === 'q4' && H % BLOCK_SIZE === 0) return gatherQ4Rows(g, name, read, V, H, inputIds);
    return gatherInt8Rows(g, name, read, V, H, inputIds);
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
    const out = this.linear(hidden, [layer.output], `${prefix}.output`, true, undefined, () =>
      activationOutputMean(layer.intermediate, layer.attentionNorm, this.enc.activation),
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
        let pooled: string;
        if (enc.family === 'distilbert') {
          pooled = g.node('Relu', [this.linear(first(), [w.preClassifier as Linear], 'pre_classifier', true)]);
        } else {
          pooled = g.node('Tanh', [this.linear(first(), [w.pooler as Linear], 'pooler.dense', true)]);
        }
        this.output(this.linear(pooled, [classifier], 'classifier', false), 'logits', ['batch', labels]);
        return;
      }
    }
  }
}

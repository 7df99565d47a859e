/**
 * Data-free estimates of the mean input of each Linear layer, for bias correction of quantized weights.
 *
 * A LayerNorm output is `gamma * n + beta` with n of zero mean and unit variance per feature, so its mean
 * is beta. A Linear of that has mean `W beta + b` and, treating the features of n as independent, variance
 * `sum_i W_ji^2 gamma_i^2` per output; the mean of GELU / ReLU of a Gaussian has a closed form. Attention
 * mixes value rows with weights that sum to 1, so the attention context has the mean of the values.
 */
import type { Activation } from './config.js';
import { readFloat32 } from './tensor.js';
import type { Linear, Norm } from './weights.js';

/** Mean of a LayerNorm output: its shift. */
export async function normOutputMean(norm: Norm): Promise<Float32Array> {
  return readFloat32(norm.bias);
}

/** Mean of `linear(x)` for inputs of mean `mean`: `W mean + b`. */
export async function linearOutputMean(linear: Linear, mean: Float32Array): Promise<Float32Array> {
  const w = await readFloat32(linear.weight);
  const b = await readFloat32(linear.bias);
  const k = mean.length;
  const out = new Float32Array(b.length);
  for (let j = 0; j < out.length; j++) {
    let sum = b[j] as number;
    for (let i = 0; i < k; i++) sum += (w[j * k + i] as number) * (mean[i] as number);
    out[j] = sum;
  }
  return out;
}

/** Mean of `activation(linear(LayerNorm output))`, each pre-activation taken as Gaussian. */
export async function activationOutputMean(linear: Linear, norm: Norm, activation: Activation): Promise<Float32Array> {
  const w = await readFloat32(linear.weight);
  const b = await readFloat32(linear.bias);
  const gamma = await readFloat32(norm.weight);
  const beta = await readFloat32(norm.bias);
  const k = gamma.length;
  const out = new Float32Array(b.length);
  for (let j = 0; j < out.length; j++) {
    let mean = b[j] as number;
    let variance = 0;
    for (let i = 0; i < k; i++) {
      const wji = w[j * k + i] as number;
      mean += wji * (beta[i] as number);
      variance += wji * wji * (gamma[i] as number) ** 2;
    }
    out[j] = activation === 'relu' ? reluMean(mean, variance) : geluMean(mean, variance);
  }
  return out;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return 0.5 * (1 + (x < 0 ? -erf : erf));
}

/** E[z Phi(z)] for z ~ N(m, v): m Phi(m / s) + v / s phi(m / s) with s = sqrt(1 + v). */
export function geluMean(m: number, v: number): number {
  const s = Math.sqrt(1 + v);
  return m * normalCdf(m / s) + (v / s) * normalPdf(m / s);
}

/** E[max(z, 0)] for z ~ N(m, v). */
export function reluMean(m: number, v: number): number {
  if (v <= 0) return Math.max(m, 0);
  const s = Math.sqrt(v);
  return m * normalCdf(m / s) + s * normalPdf(m / s);
}

/**
 * Training the demo's model in plain TypeScript: Dense(units, relu) → Dropout(rate) → Dense(1, sigmoid),
 * binary cross-entropy, mini-batch SGD or Adam, seeded (initialisation, shuffling and dropout masks all
 * come from one mulberry32 stream), so the same settings give the same weights bit for bit.
 *
 * Inputs are standardised inside training (train-set mean and standard deviation); `exportWeights` folds
 * that scaling into the first layer, so the exported model takes the raw CSV features.
 */
import { mulberry32, shuffleInPlace } from '../core/metrics/rng';
import type { DataSplit } from './data';

export interface Mlp {
  inputs: number;
  units: number;
  /** [inputs, units] row-major (Keras kernel layout) */
  w1: Float64Array;
  b1: Float64Array;
  /** [units] (the kernel of the one-unit output layer) */
  w2: Float64Array;
  b2: number;
  /** standardisation of the inputs used while training */
  mean: Float64Array;
  std: Float64Array;
}

export interface TrainParams {
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  epochs: number;
  batchSize: number;
  dropout: number;
  seed: number;
}

/** Per-feature mean and standard deviation (1 where a feature is constant). */
export function standardisation(d: DataSplit, inputs: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(inputs);
  const std = new Float64Array(inputs);
  for (let i = 0; i < d.rows; i++) for (let j = 0; j < inputs; j++) mean[j] += d.x[i * inputs + j];
  for (let j = 0; j < inputs; j++) mean[j] /= d.rows;
  for (let i = 0; i < d.rows; i++) for (let j = 0; j < inputs; j++) std[j] += (d.x[i * inputs + j] - mean[j]) ** 2;
  for (let j = 0; j < inputs; j++) std[j] = Math.sqrt(std[j] / d.rows) || 1;
  return { mean, std };
}

/** A new model with Glorot-uniform kernels and zero biases (Keras' defaults). */
export function initMlp(d: DataSplit, inputs: number, units: number, seed: number): Mlp {
  const r = mulberry32(seed);
  const lim1 = Math.sqrt(6 / (inputs + units));
  const lim2 = Math.sqrt(6 / (units + 1));
  const w1 = new Float64Array(inputs * units).map(() => (r() * 2 - 1) * lim1);
  const w2 = new Float64Array(units).map(() => (r() * 2 - 1) * lim2);
  return { inputs, units, w1, b1: new Float64Array(units), w2, b2: 0, ...standardisation(d, inputs) };
}

export function cloneMlp(m: Mlp): Mlp {
  return { ...m, w1: m.w1.slice(), b1: m.b1.slice(), w2: m.w2.slice(), mean: m.mean.slice(), std: m.std.slice() };
}

/** Trains `model` in place for `p.epochs` epochs; returns the mean training loss of each epoch. */
export function train(model: Mlp, d: DataSplit, p: TrainParams): number[] {
  const { inputs: n, units: u } = model;
  const r = mulberry32(p.seed);
  const order = new Int32Array(d.rows).map((_, i) => i);
  const keep = 1 - p.dropout;
  // gradients and optimiser state
  const g1 = new Float64Array(n * u);
  const gb1 = new Float64Array(u);
  const g2 = new Float64Array(u);
  let gb2 = 0;
  const params = [model.w1, model.b1, model.w2];
  const grads = [g1, gb1, g2];
  const m1 = params.map((a) => new Float64Array(a.length));
  const v1 = params.map((a) => new Float64Array(a.length));
  let mb2 = 0;
  let vb2 = 0;
  let step = 0;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-7;
  // per-row scratch
  const xs = new Float64Array(n);
  const h = new Float64Array(u);
  const mask = new Float64Array(u);
  const losses: number[] = [];
  for (let epoch = 0; epoch < p.epochs; epoch++) {
    shuffleInPlace(order, r);
    let lossSum = 0;
    for (let start = 0; start < d.rows; start += p.batchSize) {
      const end = Math.min(d.rows, start + p.batchSize);
      const bs = end - start;
      g1.fill(0);
      gb1.fill(0);
      g2.fill(0);
      gb2 = 0;
      for (let k = start; k < end; k++) {
        const row = order[k];
        for (let j = 0; j < n; j++) xs[j] = (d.x[row * n + j] - model.mean[j]) / model.std[j];
        // forward
        let z = model.b2;
        for (let c = 0; c < u; c++) {
          let a = model.b1[c];
          for (let j = 0; j < n; j++) a += xs[j] * model.w1[j * u + c];
          const relu = a > 0 ? a : 0;
          mask[c] = p.dropout > 0 ? (r() < keep ? 1 / keep : 0) : 1;
          h[c] = relu * mask[c];
          z += h[c] * model.w2[c];
        }
        const y = d.y[row];
        // binary cross-entropy from the logit, numerically stable
        lossSum += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
        const dz = 1 / (1 + Math.exp(-z)) - y;
        gb2 += dz;
        for (let c = 0; c < u; c++) {
          g2[c] += dz * h[c];
          if (h[c] === 0) continue; // relu off or dropped
          const da = dz * model.w2[c] * mask[c];
          gb1[c] += da;
          for (let j = 0; j < n; j++) g1[j * u + c] += da * xs[j];
        }
      }
      step++;
      const scale = 1 / bs;
      if (p.optimizer === 'sgd') {
        for (let t = 0; t < params.length; t++) {
          const a = params[t];
          const g = grads[t];
          for (let i = 0; i < a.length; i++) a[i] -= p.learningRate * g[i] * scale;
        }
        model.b2 -= p.learningRate * gb2 * scale;
      } else {
        const c1 = 1 - beta1 ** step;
        const c2 = 1 - beta2 ** step;
        for (let t = 0; t < params.length; t++) {
          const a = params[t];
          const g = grads[t];
          const m = m1[t];
          const v = v1[t];
          for (let i = 0; i < a.length; i++) {
            const gi = g[i] * scale;
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            a[i] -= (p.learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
          }
        }
        const gi = gb2 * scale;
        mb2 = beta1 * mb2 + (1 - beta1) * gi;
        vb2 = beta2 * vb2 + (1 - beta2) * gi * gi;
        model.b2 -= (p.learningRate * (mb2 / c1)) / (Math.sqrt(vb2 / c2) + eps);
      }
    }
    losses.push(lossSum / d.rows);
  }
  return losses;
}

/** P(purchased) for each row of `d` (inference: no dropout), computed in float64. */
export function predict(model: Mlp, d: DataSplit): Float64Array {
  const { inputs: n, units: u } = model;
  const out = new Float64Array(d.rows);
  for (let i = 0; i < d.rows; i++) {
    let z = model.b2;
    for (let c = 0; c < u; c++) {
      let a = model.b1[c];
      for (let j = 0; j < n; j++) a += ((d.x[i * n + j] - model.mean[j]) / model.std[j]) * model.w1[j * u + c];
      if (a > 0) z += a * model.w2[c];
    }
    out[i] = 1 / (1 + Math.exp(-z));
  }
  return out;
}

/** Float32 weights over the raw features: the standardisation folded into the first layer. */
export function exportWeights(model: Mlp): { kernel1: Float32Array; bias1: Float32Array; kernel2: Float32Array; bias2: Float32Array } {
  const { inputs: n, units: u } = model;
  const kernel1 = new Float32Array(n * u);
  const bias1 = new Float32Array(u);
  for (let c = 0; c < u; c++) {
    let b = model.b1[c];
    for (let j = 0; j < n; j++) {
      const w = model.w1[j * u + c] / model.std[j];
      kernel1[j * u + c] = w;
      b -= w * model.mean[j];
    }
    bias1[c] = b;
  }
  return { kernel1, bias1, kernel2: Float32Array.from(model.w2), bias2: Float32Array.of(model.b2) };
}

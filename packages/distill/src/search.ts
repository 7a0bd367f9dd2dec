// The KD-LTS search (METHOD.md steps 3-4): relaxed mask scores s ∈ [0,1]^n over the prunable
// weights, the student f(x; θ ⊙ m(s)) at the model's current weights θ (θ0: a ticket at init; θ_t:
// the early-ticket variant), and per step:
//   1. the teachers' targets on a batch (inference mode, one batched Gram call);
//   2. W := θ ⊙ m, m = topk(s) (straight-through: by default every step) or m = s (an optional relaxed first phase);
//   3. the distillation loss and its gradient dL/dW, so dL/ds = dL/dW ⊙ θ;
//   4. an Adam step on s, then the native Euclidean projection onto {s ∈ [0,1]^n : Σ s = k}
//      (global budget, or one budget per layer: a batched projection);
// and at the end an exact native top-k (ties: lower index) so the mask has exactly k ones.
// Deterministic for a seed: batches come from (seed, epoch), every op is deterministic on the CPU.
// The model's weights are restored at the end (batch-norm statistics included).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '@kdlts/data';
import type { PrunableWeight } from '@kdlts/models';
import { projectCappedSimplex, topkMask } from '@kdlts/native';
import { epochOrder, restoreWeights, snapshotWeights, trainBatch } from '@kdlts/train';

import { distillationLoss, DEFAULT_LOSS_WEIGHTS, type LossWeights } from './losses';
import { disposeTargets, teacherTargets } from './teacher_info';

export const SEARCH_INITS = ['layer-magnitude', 'magnitude', 'uniform'] as const;
export type SearchInit = (typeof SEARCH_INITS)[number];

export interface SearchConfig {
  /** Fraction of prunable weights removed: 0 < sparsity < 1. */
  sparsity: number;
  /** Optimizer steps on the scores (default 200). */
  steps?: number;
  batchSize?: number;
  /** Adam learning rate on the scores (default 0.01). */
  lr?: number;
  /**
   * From this fraction of the steps on, the forward uses the binary top-k mask (straight-through).
   * Default 0: every step (see docs/distillation.md: a relaxed phase first fits the teachers with
   * weights scaled by s ∈ (0,1), which the binary ticket does not have; on Conv-4 that lost 15-60 points).
   */
  straightThroughFrom?: number;
  /**
   * Initial scores, then projected: 'layer-magnitude' (default) ranks |θ| within each layer into [0,1], so
   * the first top-k keeps the same fraction of every layer; 'magnitude' ranks |θ| over all layers (at
   * init that empties the layers of large fan-in: Conv-4's first dense layer at 95%); 'uniform' k/n.
   */
  init?: SearchInit;
  /** One budget per layer (each keeps (1 - sparsity) of its weights) instead of one global budget. */
  layerwise?: boolean;
  weights?: LossWeights;
  /** Batch order seed (default 0). */
  seed?: number;
}

export interface SearchStep {
  step: number;
  loss: number;
  response: number;
  feature: number;
  relation: number;
  straightThrough: boolean;
  /** The projected scores after this step (a view: copy it to keep it). */
  scores: Float32Array;
}

export interface SearchInput {
  /** The student: a tap model (outputs [logits, ...taps]) over the model whose weights are θ. */
  student: tfl.LayersModel;
  /** The plain model owning the variables (for the weight snapshot); default: student. */
  model?: tfl.LayersModel;
  prunable: PrunableWeight[];
  /** Teacher tap models with the same taps. */
  teachers: tfl.LayersModel[];
  /** Normalised Float32 training images. */
  data: Dataset<Float32Array>;
  config: SearchConfig;
  onStep?: (s: SearchStep) => void;
}

export interface SearchResult {
  /** Exactly k ones in total (per layer when layerwise), keyed by prunable weight name. */
  mask: Map<string, Uint8Array>;
  k: number;
  n: number;
  history: Omit<SearchStep, 'scores'>[];
  seconds: number;
}

export type ResolvedSearchConfig = Required<Omit<SearchConfig, 'weights'>> & { weights: Required<LossWeights> };

/** The config with every default filled in (loss weights included), validated: what a run's fingerprint covers. */
export function resolveSearchConfig(c: SearchConfig): ResolvedSearchConfig {
  if (typeof c.sparsity !== 'number' || !Number.isFinite(c.sparsity) || c.sparsity <= 0 || c.sparsity >= 1) {
    throw new RangeError(`sparsity must be a finite number with 0 < sparsity < 1, got ${c.sparsity}`);
  }
  const out = {
    sparsity: c.sparsity, steps: c.steps ?? 200, batchSize: c.batchSize ?? 128, lr: c.lr ?? 0.01,
    straightThroughFrom: c.straightThroughFrom ?? 0, init: c.init ?? 'layer-magnitude', layerwise: c.layerwise ?? false,
    weights: { ...DEFAULT_LOSS_WEIGHTS, ...c.weights }, seed: c.seed ?? 0,
  } as const;
  if (!(Number.isInteger(out.steps) && out.steps >= 0)) throw new RangeError(`steps must be an integer >= 0, got ${out.steps}`);
  if (!(Number.isInteger(out.batchSize) && out.batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${out.batchSize}`);
  if (!(Number.isFinite(out.lr) && out.lr > 0)) throw new RangeError(`lr must be a finite number > 0, got ${out.lr}`);
  if (!(out.straightThroughFrom >= 0 && out.straightThroughFrom <= 1)) throw new RangeError(`straightThroughFrom must be in [0, 1], got ${out.straightThroughFrom}`);
  if (!SEARCH_INITS.includes(out.init)) throw new RangeError(`init must be one of ${SEARCH_INITS.join(', ')}, got '${out.init as string}'`);
  return out;
}

// Read once: a global looked up inside a hot loop is very slow under jest's sandboxed globals.
const { abs, sqrt } = Math;

/** Budgets: one global k, or per layer round((1 - sparsity) n_l). */
function budgets(sizes: number[], sparsity: number, layerwise: boolean): { ks: number[]; groupSizes?: number[]; k: number } {
  if (!layerwise) {
    const n = sizes.reduce((a, b) => a + b, 0);
    const k = Math.round((1 - sparsity) * n);
    return { ks: [k], k };
  }
  const ks = sizes.map((s) => Math.round((1 - sparsity) * s));
  return { ks, groupSizes: sizes, k: ks.reduce((a, b) => a + b, 0) };
}

/** Ranks of |θ| scaled into [0, 1] (largest 1, ties: lower index first), written to out: a scale-free magnitude saliency. */
function magnitudeRanks(theta: Float32Array, out: Float32Array): Float32Array {
  const order = Array.from(theta.keys()).sort((a, b) => abs(theta[a]) - abs(theta[b]) || a - b);
  const denom = Math.max(1, theta.length - 1);
  order.forEach((idx, rank) => (out[idx] = rank / denom));
  return out;
}

function initialScores(init: SearchInit, theta: Float32Array, sizes: number[], offsets: number[], k: number): Float32Array {
  const n = theta.length;
  if (init === 'uniform') return new Float32Array(n).fill(k / n);
  if (init === 'magnitude') return magnitudeRanks(theta, new Float32Array(n));
  const s = new Float32Array(n);
  sizes.forEach((size, i) => magnitudeRanks(theta.subarray(offsets[i], offsets[i] + size), s.subarray(offsets[i], offsets[i] + size)));
  return s;
}

export async function searchMask(input: SearchInput): Promise<SearchResult> {
  const c = resolveSearchConfig(input.config);
  const start = performance.now();
  const { student, prunable, teachers, data } = input;
  if (teachers.length === 0) throw new RangeError('searchMask: no teachers given');
  if (data.count === 0) throw new RangeError('searchMask: the data is empty');
  const owner = input.model ?? student;
  const sizes = prunable.map((p) => p.shape.reduce((a, b) => a * b, 1));
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const n = sizes.reduce((a, b) => a + b, 0);
  const { ks, groupSizes, k } = budgets(sizes, c.sparsity, c.layerwise);
  if (k === 0) throw new RangeError(`sparsity ${c.sparsity} keeps no weight of ${n}`);

  const snapshot = snapshotWeights(owner);
  const theta = new Float32Array(n);
  prunable.forEach((p, i) => theta.set(p.variable.read().dataSync() as Float32Array, offsets[i]));
  let s = initialScores(c.init, theta, sizes, offsets, k);
  s = projectCappedSimplex(s, c.layerwise ? ks : k, { groupSizes });

  // Adam on s (β1 0.9, β2 0.999, ε 1e-8), in float64 state.
  const m1 = new Float64Array(n);
  const m2 = new Float64Array(n);
  const w = c.weights;
  const vars = prunable.map((p) => p.variable.read() as tf.Variable);
  const history: SearchResult['history'] = [];
  const [h, wd, ch] = data.shape;
  const perEpoch = Math.floor(data.count / c.batchSize) || 1;
  const stFrom = Math.floor(c.straightThroughFrom * c.steps);
  try {
    let order = epochOrder(data.count, c.seed, 0);
    for (let step = 0; step < c.steps; step++) {
      const epoch = Math.floor(step / perEpoch);
      if (step % perEpoch === 0 && step > 0) order = epochOrder(data.count, c.seed, epoch);
      const batch = trainBatch(data, order, step % perEpoch, c.batchSize, { seed: c.seed, epoch, augment: false, stats: undefined });
      const x = tf.tensor4d(batch.images, [batch.size, h, wd, ch]);
      const labels = tf.tensor1d(Int32Array.from(batch.labels), 'int32');
      const targets = teacherTargets(teachers, x, w.tau);
      const straightThrough = step >= stFrom;
      const m = straightThrough ? topkMask(s, c.layerwise ? ks : k, { groupSizes, out: new Float32Array(n) }) : s;
      prunable.forEach((p, i) => {
        const masked = new Float32Array(sizes[i]);
        for (let j = 0; j < sizes[i]; j++) masked[j] = theta[offsets[i] + j] * m[offsets[i] + j];
        tf.tidy(() => {
          p.variable.write(tf.tensor(masked, p.shape, 'float32'));
        });
      });
      let parts = { response: 0, feature: 0, relation: 0 };
      const { value, grads } = tf.variableGrads(() => {
        const outs = student.apply(x, { training: true }) as tf.Tensor[];
        const lp = distillationLoss({ logits: outs[0], features: outs.slice(1) }, targets, w, w.ce > 0 ? labels : undefined);
        parts = { response: lp.response.dataSync()[0], feature: lp.feature.dataSync()[0], relation: lp.relation.dataSync()[0] };
        return lp.total;
      }, vars);
      const loss = value.dataSync()[0];
      if (!Number.isFinite(loss)) throw new Error(`KD-LTS search diverged: the loss is ${loss} at step ${step}`);
      // dL/ds = dL/dW ⊙ θ, then Adam.
      const t = step + 1;
      const bc1 = 1 - 0.9 ** t;
      const bc2 = 1 - 0.999 ** t;
      prunable.forEach((p, i) => {
        const gw = grads[vars[i].name].dataSync();
        const o = offsets[i];
        for (let j = 0; j < sizes[i]; j++) {
          const g = gw[j] * theta[o + j];
          m1[o + j] = 0.9 * m1[o + j] + 0.1 * g;
          m2[o + j] = 0.999 * m2[o + j] + 0.001 * g * g;
          s[o + j] -= (c.lr * (m1[o + j] / bc1)) / (sqrt(m2[o + j] / bc2) + 1e-8);
        }
      });
      tf.dispose([x, labels, value, ...Object.values(grads)]);
      disposeTargets(targets);
      s = projectCappedSimplex(s, c.layerwise ? ks : k, { groupSizes, out: s });
      const record = { step, loss, ...parts, straightThrough };
      history.push(record);
      input.onStep?.({ ...record, scores: s });
    }
    const bits = topkMask(s, c.layerwise ? ks : k, { groupSizes });
    const mask = new Map(prunable.map((p, i) => [p.name, bits.slice(offsets[i], offsets[i] + sizes[i])]));
    return { mask, k, n, history, seconds: (performance.now() - start) / 1000 };
  } finally {
    restoreWeights(owner, snapshot);
  }
}

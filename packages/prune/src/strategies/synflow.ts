// SynFlow (Tanaka et al. 2020, "Pruning neural networks without any data by iteratively
// conserving synaptic flow"): data-free. Every model weight is replaced by its absolute value
// (kernels, biases and batch-norm parameters and statistics, as the authors' code does to the
// whole state dict), an all-ones input of batch 1 goes through the network in inference mode
// (batch norm applies its moving statistics: the authors prune in eval mode), R = the sum of the
// logits, and each weight scores |theta * dR/dtheta|. Over `iterations` (default 100) rounds the
// density follows d^(i/N) for i = 1..N, the masked weights held at zero in between and never
// revived; the last round keeps exactly k. The original weights are restored at the end (also
// when something throws).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PrunableWeight } from '@kdlts/models';

import { modelShapes, variablesOf } from '../loss';
import { Mask, sizeOfShape } from '../mask';
import { absProduct, rankMaskedLast } from '../scores';
import { keptCount, selectTopK, type SelectionOptions } from '../select';
import type { LayerScores, Strategy } from './strategy';

export const SYNFLOW_DEFAULT_ITERATIONS = 100;

/** Runs fn with every weight of the model replaced by its absolute value, then restores them. */
export function withAbsoluteWeights<T>(model: tfl.LayersModel, fn: () => T): T {
  const originals = model.weights.map((w) => tf.clone(w.read()));
  try {
    for (const w of model.weights) {
      tf.tidy(() => {
        w.write(tf.abs(w.read()));
      });
    }
    return fn();
  } finally {
    model.weights.forEach((w, i) => w.write(originals[i]));
    tf.dispose(originals);
  }
}

/** |theta * dR/dtheta| per prunable weight at the model's current weights (one pass). */
function synapticFlow(model: tfl.LayersModel, prunable: readonly PrunableWeight[]): Float32Array[] {
  const vars = variablesOf(prunable);
  const { input } = modelShapes(model);
  const { value, grads } = tf.tidy(() => {
    const x = tf.ones([1, ...input]);
    return tf.variableGrads(() => tf.sum(model.apply(x, { training: false }) as tf.Tensor), vars);
  });
  try {
    const r = value.dataSync()[0];
    if (!Number.isFinite(r)) {
      throw new Error(`synflow: R = ${r} (the |theta| network's output overflows float32 for model '${model.name}')`);
    }
    return prunable.map((p, i) => {
      const w = p.variable.read().dataSync() as Float32Array;
      const g = grads[vars[i].name];
      const gv = g ? (g.dataSync() as Float32Array) : new Float32Array(w.length);
      return absProduct(w, gv);
    });
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}

/** The single-shot SynFlow scores (all weights present), original weights restored. */
export function synflowScores(model: tfl.LayersModel, prunable: readonly PrunableWeight[]): LayerScores {
  const scores = withAbsoluteWeights(model, () => synapticFlow(model, prunable));
  return new Map(prunable.map((p, i) => [p.name, scores[i]]));
}

/** The iterative SynFlow mask: density d^(i/N) at round i, exactly round((1 - sparsity) n) kept at the end. */
export function synflowMask(
  model: tfl.LayersModel,
  prunable: readonly PrunableWeight[],
  sparsity: number,
  iterations = SYNFLOW_DEFAULT_ITERATIONS,
  selection: SelectionOptions = {},
): Mask {
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError(`synflow: iterations must be a positive integer, got ${iterations}`);
  const n = prunable.reduce((a, p) => a + sizeOfShape(p.shape), 0);
  const density = 1 - sparsity;
  return withAbsoluteWeights(model, () => {
    const absolute = prunable.map((p) => tf.clone(p.variable.read()));
    try {
      let mask = Mask.ones(prunable);
      for (let i = 1; i <= iterations; i++) {
        prunable.forEach((p, l) => {
          tf.tidy(() => {
            p.variable.write(tf.mul(absolute[l], tf.tensor(mask.layers[l].bits, p.shape, 'float32')));
          });
        });
        const scores = synapticFlow(model, prunable);
        // Pruned weights stay pruned: they rank below every kept weight.
        scores.forEach((s, l) => rankMaskedLast(s, mask.layers[l].bits));
        const k = i === iterations ? keptCount(n, sparsity) : Math.round(Math.pow(density, i / iterations) * n);
        mask = selectTopK(prunable, scores, k, selection);
      }
      return mask;
    } finally {
      tf.dispose(absolute);
    }
  });
}

export const synflow: Strategy = {
  name: 'synflow',
  description: 'SynFlow: data-free, |theta * dR/dtheta| on the |theta| network with an all-ones input, 100 rounds at density d^(i/100)',
  needsData: false,
  async prune({ model, prunable, sparsity, options, selection }) {
    return synflowMask(model, prunable, sparsity, options.iterations ?? SYNFLOW_DEFAULT_ITERATIONS, selection);
  },
};

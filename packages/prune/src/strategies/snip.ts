// SNIP (Lee et al. 2019, "SNIP: Single-shot Network Pruning based on Connection Sensitivity"):
// score |g * w|, where g is the gradient of the mean cross-entropy on a batch, summed over
// `options.batches` batches (default 1: the paper uses one batch; its size is the data's, 128 is
// the usual choice). Summing per-batch gradients ranks like averaging them (a constant factor).
// The model runs in inference mode (loss.ts).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PrunableWeight } from '@kdlts/models';

import { lossGradient, takeBatches } from '../loss';
import { absProduct } from '../scores';
import { requireData, scoringStrategy, type LayerScores, type ScoringBatch } from './strategy';

export const SNIP_DEFAULT_BATCHES = 1;

/** |g * w| per prunable weight, g summed over the batches. */
export function snipScores(model: tfl.LayersModel, prunable: readonly PrunableWeight[], batches: readonly ScoringBatch[]): LayerScores {
  const grads = lossGradient(model, prunable, batches);
  try {
    return new Map(
      prunable.map((p, i) => {
        const g = grads[i].dataSync() as Float32Array;
        const w = p.variable.read().dataSync() as Float32Array;
        return [p.name, absProduct(g, w)];
      }),
    );
  } finally {
    tf.dispose(grads);
  }
}

export const snip = scoringStrategy({
  name: 'snip',
  description: 'SNIP: keep the largest |g * w| (g: loss gradient on a few batches at the current weights)',
  needsData: true,
  async score(context) {
    const batches = await takeBatches(requireData(context, 'snip'), context.options.batches ?? SNIP_DEFAULT_BATCHES, 'snip');
    return snipScores(context.model, context.prunable, batches);
  },
});

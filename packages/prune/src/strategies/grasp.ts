// GraSP (Wang et al. 2020, "Picking Winning Tickets Before Training by Preserving Gradient Flow"):
// the paper's score is S = -w * (H g), with g the gradient of the cross-entropy of logits / T
// (T = 200) and Hg its Hessian-gradient product, and it removes the weights with the HIGHEST S.
// Here the strategy contract is "higher = keep", so the score is -S = w * (H g): keeping the
// highest -S removes exactly the highest S. Hg comes by double backprop, as in the authors' code:
// g = sum_b grad L_b (detached), then Hg = sum_b grad_w (grad L_b . g). The model runs in
// inference mode (loss.ts); what tfjs lacks for a second derivative is in double_backprop/.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PrunableWeight } from '@kdlts/models';

import { withDoubleBackpropGradients } from '../double_backprop';
import { batchLoss, batchTensors, lossGradient, takeBatches, valuesOf, variablesOf } from '../loss';
import { product } from '../scores';
import { requireData, scoringStrategy, type LayerScores, type ScoringBatch } from './strategy';

export const GRASP_DEFAULT_TEMPERATURE = 200;
export const GRASP_DEFAULT_BATCHES = 1;

export interface HessianGradient {
  /** g = sum over the batches of the loss gradient (logits / T), per prunable weight. */
  gradient: Float32Array[];
  /** H g = sum over the batches of (Hessian of that batch's loss) times g. */
  hessianGradient: Float32Array[];
}

/** g and Hg at the model's current weights (one array per prunable weight, row-major). */
export function hessianGradientProduct(
  model: tfl.LayersModel,
  prunable: readonly PrunableWeight[],
  batches: readonly ScoringBatch[],
  temperature = GRASP_DEFAULT_TEMPERATURE,
): HessianGradient {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`grasp: temperature must be a positive number, got ${temperature}`);
  return withDoubleBackpropGradients(() => doubleBackprop(model, prunable, batches, temperature));
}

function doubleBackprop(
  model: tfl.LayersModel,
  prunable: readonly PrunableWeight[],
  batches: readonly ScoringBatch[],
  temperature: number,
): HessianGradient {
  const vars = variablesOf(prunable);
  const g = lossGradient(model, prunable, batches, temperature);
  let hg: tf.Tensor[] = vars.map((v) => tf.zerosLike(v));
  try {
    for (const batch of batches) {
      const next = tf.tidy(() => {
        const { x, y } = batchTensors(model, batch);
        // d/dw of (grad L_b(w) . stop_gradient(g)) = H_b g: g enters as a constant tensor.
        const { grads } = tf.variableGrads(() => {
          const inner = tf.variableGrads(() => batchLoss(model, x, y, temperature), vars).grads;
          const terms = vars.flatMap((v, i) => (inner[v.name] ? [tf.sum(tf.mul(inner[v.name], g[i]))] : []));
          return (terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar;
        }, vars);
        return hg.map((s, i) => (grads[vars[i].name] ? tf.add(s, grads[vars[i].name]) : tf.clone(s)));
      });
      tf.dispose(hg);
      hg = next;
    }
    return { gradient: g.map(valuesOf), hessianGradient: hg.map(valuesOf) };
  } finally {
    tf.dispose(g);
    tf.dispose(hg);
  }
}

/** The keep-score w * (H g) (the negated GraSP score) per prunable weight. */
export function graspScores(
  model: tfl.LayersModel,
  prunable: readonly PrunableWeight[],
  batches: readonly ScoringBatch[],
  temperature = GRASP_DEFAULT_TEMPERATURE,
): LayerScores {
  const { hessianGradient } = hessianGradientProduct(model, prunable, batches, temperature);
  return new Map(prunable.map((p, i) => [p.name, product(p.variable.read().dataSync() as Float32Array, hessianGradient[i])]));
}

export const grasp = scoringStrategy({
  name: 'grasp',
  description: 'GraSP: remove the largest -w * (H g) (Hessian-gradient product by double backprop, logits / 200)',
  needsData: true,
  async score(context) {
    const batches = await takeBatches(requireData(context, 'grasp'), context.options.batches ?? GRASP_DEFAULT_BATCHES, 'grasp');
    return graspScores(context.model, context.prunable, batches, context.options.temperature ?? GRASP_DEFAULT_TEMPERATURE);
  },
});

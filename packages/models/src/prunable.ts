// Prunable weights: the kernels of a model's Conv2D and Dense layers, in model (layer) order.
// Biases and batch-norm parameters are not pruned (as in the lottery-ticket papers).
import type * as tfl from '@tensorflow/tfjs-layers';

import type { PrunableWeight } from './types';

const PRUNABLE_LAYER_CLASSES = new Set(['Conv2D', 'Dense']);

export function kernelWeights(model: tfl.LayersModel): PrunableWeight[] {
  const result: PrunableWeight[] = [];
  for (const layer of model.layers) {
    if (!PRUNABLE_LAYER_CLASSES.has(layer.getClassName())) continue;
    const name = `${layer.name}/kernel`;
    const variable = layer.weights.find((w) => w.originalName === name);
    if (variable === undefined) throw new Error(`prunableWeights: layer '${layer.name}' has no kernel`);
    result.push({ name, variable, shape: variable.shape.map((d) => d as number) });
  }
  return result;
}

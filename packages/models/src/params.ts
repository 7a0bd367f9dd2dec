import type * as tfl from '@tensorflow/tfjs-layers';

/** Number of scalars in a model's weights: trainable, non-trainable (e.g. BN moving statistics), total. */
export function countParams(model: tfl.LayersModel): { trainable: number; nonTrainable: number; total: number } {
  const size = (ws: tfl.LayerVariable[]) => ws.reduce((s, w) => s + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
  const trainable = size(model.trainableWeights);
  const nonTrainable = size(model.nonTrainableWeights);
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

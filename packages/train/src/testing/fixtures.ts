// Small models, data and masks for the training tests.
import type * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32, syntheticDataset, type ImageShape } from '@kdlts/data';
import { buildModel, kernelWeights } from '@kdlts/models';

import type { TrainData } from '../types';

export function syntheticData(shape: ImageShape, trainCount: number, testCount: number, seed = 1): TrainData {
  return {
    train: syntheticDataset({ count: trainCount, shape, seed, sampleSeed: 2 * seed }),
    test: syntheticDataset({ count: testCount, shape, seed, sampleSeed: 2 * seed + 1 }),
  };
}

/** ResNet-20 (batch norm, momentum-heavy) on 8x8x3 inputs: small enough for many steps in a test. */
export function tinyResnet(seed: number): tfl.LayersModel {
  return buildModel('resnet20', { seed, inputShape: [8, 8, 3] });
}

/** A seeded random 0/1 mask over the model's kernels keeping about `density` of each. */
export function randomMask(model: tfl.LayersModel, density: number, seed: number): Map<string, Uint8Array> {
  const rng = mulberry32(seed);
  const mask = new Map<string, Uint8Array>();
  for (const p of kernelWeights(model)) {
    const bits = new Uint8Array(p.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < bits.length; i++) bits[i] = rng.next() < density ? 1 : 0;
    mask.set(p.name, bits);
  }
  return mask;
}

// Conv-6 (Frankle & Carbin 2019, figure 2): conv 64, 64, maxpool, conv 128, 128, maxpool,
// conv 256, 256, maxpool, dense 256, 256, classes. 3x3 convolutions, same padding, stride 1,
// ReLU; 2x2 max pools (valid: 28 -> 14 -> 7 -> 3).
// Parameters: 1,802,698 at [28, 28, 1] (the default here); 2,262,602 at [32, 32, 3] (CIFAR-10,
// the paper's setting). BuildOptions.width scales the conv filters and the hidden dense units.
import { buildConvNet, convNetTaps } from './conv_family';
import { kernelWeights } from './prunable';
import type { ModelSpec } from './types';

/** Conv filters per stage (see conv_family.ts). */
const STAGES = [[64, 64], [128, 128], [256, 256]];

export const conv6: ModelSpec = {
  name: 'conv6',
  description: 'Conv-6: conv 64-64-pool-128-128-pool-256-256-pool, dense 256-256-classes, 3x3 same, ReLU',
  defaultInputShape: [28, 28, 1],
  build: (options) => buildConvNet('conv6', STAGES, options),
  taps: convNetTaps(STAGES.length),
  prunableWeights: kernelWeights,
};

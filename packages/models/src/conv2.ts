// Conv-2 (Frankle & Carbin 2019, figure 2): conv 64, 64, maxpool, dense 256, 256, classes.
// 3x3 convolutions, same padding, stride 1, ReLU; 2x2 max pool.
// Parameters: 3,317,450 at [28, 28, 1] (the default here); 4,301,642 at [32, 32, 3] (CIFAR-10,
// the paper's setting: 640|1,792 + 36,928 conv, (side/2)^2*64*256+256 + 65,792 + 2,570 dense).
// BuildOptions.width scales the conv filters and the hidden dense units.
import { buildConvNet, convNetTaps } from './conv_family';
import { kernelWeights } from './prunable';
import type { ModelSpec } from './types';

/** Conv filters per stage (see conv_family.ts). */
const STAGES = [[64, 64]];

export const conv2: ModelSpec = {
  name: 'conv2',
  description: 'Conv-2: conv 64-64-pool, dense 256-256-classes, 3x3 same, ReLU',
  defaultInputShape: [28, 28, 1],
  build: (options) => buildConvNet('conv2', STAGES, options),
  taps: convNetTaps(STAGES.length),
  prunableWeights: kernelWeights,
};

// Conv-4 (Frankle & Carbin 2019, figure 2): conv 64, 64, maxpool, conv 128, 128, maxpool,
// dense 256, 256, classes. 3x3 convolutions, same padding, stride 1, ReLU; 2x2 max pools.
// Parameters: 1,933,258 at [28, 28, 1] (Fashion-MNIST, the default here); 2,425,930 at
// [32, 32, 3] (CIFAR-10, the paper's setting). BuildOptions.width scales the conv filters and
// the hidden dense units.
import { buildConvNet, convNetTaps } from './conv_family';
import { kernelWeights } from './prunable';
import type { ModelSpec } from './types';

/** Conv filters per stage (see conv_family.ts). */
const STAGES = [[64, 64], [128, 128]];

export const conv4: ModelSpec = {
  name: 'conv4',
  description: 'Conv-4: conv 64-64-pool-128-128-pool, dense 256-256-classes, 3x3 same, ReLU',
  defaultInputShape: [28, 28, 1],
  build: (options) => buildConvNet('conv4', STAGES, options),
  taps: convNetTaps(STAGES.length),
  prunableWeights: kernelWeights,
};

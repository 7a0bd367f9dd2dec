// Conv-4 (Frankle & Carbin 2019, figure 2): conv 64, 64, maxpool, conv 128, 128, maxpool,
// dense 256, 256, classes. 3x3 convolutions, same padding, stride 1, ReLU; 2x2 max pools.
// Parameters: 1,933,258 at [28, 28, 1] (Fashion-MNIST, the default here); 2,425,930 at
// [32, 32, 3] (CIFAR-10, the paper's setting). BuildOptions.width scales the conv filters and
// the hidden dense units.
import * as tfl from '@tensorflow/tfjs-layers';

import { kernelWeights } from './prunable';
import { SeededInit } from './seed';
import { call, widthScaler, type BuildOptions, type ModelSpec } from './types';

function build({ seed, inputShape = [28, 28, 1], numClasses = 10, width = 1 }: BuildOptions): tfl.LayersModel {
  const scaled = widthScaler(width);
  const init = new SeededInit(seed);
  const conv = (filters: number, name: string) =>
    tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init.he(), name });
  const dense = (units: number, name: string) =>
    tfl.layers.dense({ units, activation: 'relu', kernelInitializer: init.he(), name });

  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = call(conv(scaled(64), 'conv1'), input);
  x = call(conv(scaled(64), 'conv2'), x);
  x = call(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool1' }), x);
  x = call(conv(scaled(128), 'conv3'), x);
  x = call(conv(scaled(128), 'conv4'), x);
  x = call(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool2' }), x);
  x = call(tfl.layers.flatten({ name: 'flatten' }), x);
  x = call(dense(scaled(256), 'fc1'), x);
  x = call(dense(scaled(256), 'fc2'), x);
  const logits = call(tfl.layers.dense({ units: numClasses, kernelInitializer: init.glorot(), name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: logits, name: 'conv4' });
}

export const conv4: ModelSpec = {
  name: 'conv4',
  description: 'Conv-4: conv 64-64-pool-128-128-pool, dense 256-256-classes, 3x3 same, ReLU',
  defaultInputShape: [28, 28, 1],
  build,
  // each conv block's output (after its pool) and the hidden dense layers
  taps: ['pool1', 'pool2', 'fc1', 'fc2'],
  prunableWeights: kernelWeights,
};

// Conv-6 (Frankle & Carbin 2019, figure 2): conv 64, 64, maxpool, conv 128, 128, maxpool,
// conv 256, 256, maxpool, dense 256, 256, classes. 3x3 convolutions, same padding, stride 1,
// ReLU; 2x2 max pools (valid: 28 -> 14 -> 7 -> 3).
// Parameters: 1,802,698 at [28, 28, 1] (the default here); 2,262,602 at [32, 32, 3] (CIFAR-10,
// the paper's setting). BuildOptions.width scales the conv filters and the hidden dense units.
import * as tfl from '@tensorflow/tfjs-layers';

import { kernelWeights } from './prunable';
import { SeededInit } from './seed';
import { call, widthScaler, type BuildOptions, type ModelSpec } from './types';

function build({ seed, inputShape = [28, 28, 1], numClasses = 10, width = 1 }: BuildOptions): tfl.LayersModel {
  const scaled = widthScaler(width);
  const init = new SeededInit(seed);
  const conv = (filters: number, name: string) =>
    tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init.he(), name });
  const pool = (name: string) => tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name });
  const dense = (units: number, name: string) =>
    tfl.layers.dense({ units, activation: 'relu', kernelInitializer: init.he(), name });

  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = call(conv(scaled(64), 'conv1'), input);
  x = call(conv(scaled(64), 'conv2'), x);
  x = call(pool('pool1'), x);
  x = call(conv(scaled(128), 'conv3'), x);
  x = call(conv(scaled(128), 'conv4'), x);
  x = call(pool('pool2'), x);
  x = call(conv(scaled(256), 'conv5'), x);
  x = call(conv(scaled(256), 'conv6'), x);
  x = call(pool('pool3'), x);
  x = call(tfl.layers.flatten({ name: 'flatten' }), x);
  x = call(dense(scaled(256), 'fc1'), x);
  x = call(dense(scaled(256), 'fc2'), x);
  const logits = call(tfl.layers.dense({ units: numClasses, kernelInitializer: init.glorot(), name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: logits, name: 'conv6' });
}

export const conv6: ModelSpec = {
  name: 'conv6',
  description: 'Conv-6: conv 64-64-pool-128-128-pool-256-256-pool, dense 256-256-classes, 3x3 same, ReLU',
  defaultInputShape: [28, 28, 1],
  build,
  // each conv block's output (after its pool) and the hidden dense layers
  taps: ['pool1', 'pool2', 'pool3', 'fc1', 'fc2'],
  prunableWeights: kernelWeights,
};

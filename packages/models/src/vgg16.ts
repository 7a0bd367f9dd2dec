// VGG-16 for CIFAR (Simonyan & Zisserman 2015, configuration D, with batch norm; the CIFAR
// variant the lottery-ticket papers use): thirteen 3x3 convs, same padding, stride 1,
//   64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M
// (M: 2x2 max pool), each conv -> batch norm -> ReLU, then flatten (1x1x512 at a 32x32 input)
// and a single dense 512 -> classes classifier.
// Convs have no bias (batch norm follows); batch norm + ReLU is @kdlts/backend's fused layer with
// PyTorch's defaults (momentum 0.1, epsilon 1e-5), as in resnet20.ts.
// Parameters at [32, 32, 3] and 10 classes:
//   convs 9 * (3*64 + 64*64 + 64*128 + 128*128 + 128*256 + 2*256*256 + 256*512 + 5*512*512)
//         = 9 * 1,634,496 = 14,710,464
//   batch norm: 2*64 + 2*128 + 3*256 + 6*512 = 4,224 channels -> 8,448 gamma/beta (trainable)
//               + 8,448 moving mean/variance (non-trainable)
//   dense 512*10 + 10 = 5,130
//   trainable 14,724,042; total 14,732,490.
// BuildOptions.width scales every conv's filters (the classifier then reads scaled(512) features).
import { fusedBatchNormalization } from '@kdlts/backend';
import * as tfl from '@tensorflow/tfjs-layers';

import { kernelWeights } from './prunable';
import { SeededInit } from './seed';
import { call, widthScaler, type BuildOptions, type ModelSpec } from './types';

/** Conv widths per stage; every stage ends in a 2x2 max pool. */
const STAGES = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];

function build({ seed, inputShape = [32, 32, 3], numClasses = 10, width = 1 }: BuildOptions): tfl.LayersModel {
  const scaled = widthScaler(width);
  const init = new SeededInit(seed);
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = input;
  STAGES.forEach((widths, s) => {
    widths.map(scaled).forEach((filters, c) => {
      const p = `${s + 1}_${c + 1}`;
      x = call(
        tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init.he(), name: `conv${p}` }),
        x,
      );
      x = call(fusedBatchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, activation: 'relu', name: `bn${p}` }), x);
    });
    x = call(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${s + 1}` }), x);
  });
  x = call(tfl.layers.flatten({ name: 'flatten' }), x);
  const logits = call(tfl.layers.dense({ units: numClasses, kernelInitializer: init.glorot(), name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: logits, name: 'vgg16' });
}

export const vgg16: ModelSpec = {
  name: 'vgg16',
  description: 'VGG-16 (CIFAR, BN): 13 3x3 convs 64-64-M-128-128-M-256x3-M-512x3-M-512x3-M, conv-BN-ReLU, dense classes',
  defaultInputShape: [32, 32, 3],
  build,
  // after each pooling stage
  taps: ['pool1', 'pool2', 'pool3', 'pool4', 'pool5'],
  prunableWeights: kernelWeights,
};

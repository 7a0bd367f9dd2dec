// LeNet-300-100 (LeCun et al. 1998; the lottery-ticket paper's MNIST network): fully connected
// 784-300-100-10 with ReLU. Parameters at 784 inputs and 10 classes:
// 784*300+300 + 300*100+100 + 100*10+10 = 266,610. BuildOptions.width scales the 300 and 100.
import * as tfl from '@tensorflow/tfjs-layers';

import { kernelWeights } from './prunable';
import { SeededInit } from './seed';
import { call, widthScaler, type BuildOptions, type ModelSpec } from './types';

function build({ seed, inputShape = [28, 28, 1], numClasses = 10, width = 1 }: BuildOptions): tfl.LayersModel {
  const scaled = widthScaler(width);
  const init = new SeededInit(seed);
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = inputShape.length > 1 ? call(tfl.layers.flatten({ name: 'flatten' }), input) : input;
  x = call(tfl.layers.dense({ units: scaled(300), activation: 'relu', kernelInitializer: init.he(), name: 'fc1' }), x);
  x = call(tfl.layers.dense({ units: scaled(100), activation: 'relu', kernelInitializer: init.he(), name: 'fc2' }), x);
  const logits = call(tfl.layers.dense({ units: numClasses, kernelInitializer: init.glorot(), name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: logits, name: 'lenet300' });
}

export const lenet300: ModelSpec = {
  name: 'lenet300',
  description: 'LeNet-300-100: dense 300-100-classes, ReLU (input flattened)',
  defaultInputShape: [28, 28, 1],
  build,
  // the two hidden dense layers
  taps: ['fc1', 'fc2'],
  prunableWeights: kernelWeights,
};

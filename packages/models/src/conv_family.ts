// The Conv-2/4/6 family (Frankle & Carbin 2019, figure 2): stages of 3x3 convolutions (same
// padding, stride 1, ReLU), each stage ending in a 2x2 max pool, then dense 256, 256 (ReLU) and
// the classifier. Layer names: conv1..convN across stages, pool1..poolS, fc1, fc2, logits.
// BuildOptions.width scales the conv filters and the hidden dense units. conv2.ts, conv4.ts and
// conv6.ts each give their stages and parameter counts.
import * as tfl from '@tensorflow/tfjs-layers';

import { SeededInit } from './seed';
import { call, widthScaler, type BuildOptions } from './types';

export function buildConvNet(
  name: string, stages: readonly (readonly number[])[], { seed, inputShape = [28, 28, 1], numClasses = 10, width = 1 }: BuildOptions,
): tfl.LayersModel {
  const scaled = widthScaler(width);
  const init = new SeededInit(seed);
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = input;
  let conv = 0;
  stages.forEach((filters, s) => {
    for (const f of filters) {
      conv += 1;
      x = call(tfl.layers.conv2d({ filters: scaled(f), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init.he(), name: `conv${conv}` }), x);
    }
    x = call(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${s + 1}` }), x);
  });
  x = call(tfl.layers.flatten({ name: 'flatten' }), x);
  for (const fc of ['fc1', 'fc2']) x = call(tfl.layers.dense({ units: scaled(256), activation: 'relu', kernelInitializer: init.he(), name: fc }), x);
  const logits = call(tfl.layers.dense({ units: numClasses, kernelInitializer: init.glorot(), name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: logits, name });
}

/** Each stage's pool output and the hidden dense layers. */
export function convNetTaps(stages: number): string[] {
  return [...Array.from({ length: stages }, (_, s) => `pool${s + 1}`), 'fc1', 'fc2'];
}

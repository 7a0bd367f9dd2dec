// Taps and prunable weights of the models that predate them (LeNet-300-100, Conv-4, ResNet-20);
// conv2/conv6/vgg16 check theirs in their own test files, on the model they build anyway.
import * as tf from '@tensorflow/tfjs-core';

import { conv4 } from './conv4';
import { lenet300 } from './lenet300';
import { MODEL_NAMES, getModelSpec } from './registry';
import { resnet20 } from './resnet20';
import { buildWithTaps } from './taps';
import { useCpuBackend } from './testing/cpu';
import { expectPrunable, expectTapLogits, expectTaps } from './testing/taps';

beforeAll(useCpuBackend);

describe('buildWithTaps', () => {
  it('every spec names its taps, and rejects unknown models', () => {
    for (const name of MODEL_NAMES) expect(getModelSpec(name).taps.length).toBeGreaterThan(0);
    expect(() => buildWithTaps('vgg19', { seed: 0 })).toThrow(/unknown model 'vgg19'/);
  });

  it('lenet300: taps fc1, fc2; prunes 3 kernels, 266,200 weights', () => {
    const built = buildWithTaps('lenet300', { seed: 1 });
    expectTaps(lenet300, built, [[300], [100]]);
    // 784*300 + 300*100 + 100*10
    expectPrunable(lenet300, built.model, ['fc1', 'fc2', 'logits'], 266_200);
    expectTapLogits(built, [28, 28, 1]);
    built.model.dispose();
  });

  it('conv4: taps pool1, pool2, fc1, fc2; prunes 7 kernels, 1,932,352 weights', () => {
    const built = buildWithTaps('conv4', { seed: 1 });
    expectTaps(conv4, built, [[14, 14, 64], [7, 7, 128], [256], [256]]);
    // 1,933,258 parameters - 906 biases (64 + 64 + 128 + 128 + 256 + 256 + 10)
    expectPrunable(conv4, built.model, ['conv1', 'conv2', 'conv3', 'conv4', 'fc1', 'fc2', 'logits'], 1_932_352);
    expectTapLogits(built, [28, 28, 1]);
    built.model.dispose();
  });

  it('resnet20: taps each stage\'s last block; prunes 19 conv + 1 dense kernels, 268,336 weights', () => {
    const built = buildWithTaps('resnet20', { seed: 1 });
    expectTaps(resnet20, built, [[32, 32, 16], [16, 16, 32], [8, 8, 64]]);
    const convs = ['conv1'];
    for (let s = 1; s <= 3; s++) for (let b = 1; b <= 3; b++) convs.push(`s${s}b${b}_conv1`, `s${s}b${b}_conv2`);
    expect(convs).toHaveLength(19);
    // 267,696 conv + 64*10 dense (no biases, no batch norm)
    expectPrunable(resnet20, built.model, [...convs, 'logits'], 268_336);
    expectTapLogits(built, [32, 32, 3]);
    built.model.dispose();
  });

  it('disposing the model frees the weights the tap model shares', () => {
    const before = tf.memory().numTensors;
    const built = buildWithTaps('lenet300', { seed: 2 });
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    built.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';

import { buildModel } from './index';

// ResNet-20 trains on the kdlts backend: the loss on a fixed synthetic batch (random images,
// random labels: memorisable) falls. CI builds the native core, so this runs natively there.
describe('ResNet-20 on the kdlts backend', () => {
  it('trains with falling loss', async () => {
    const selection = await useBackend({ backend: 'kdlts' });
    expect(selection.name).toBe('kdlts');
    const model = buildModel('resnet20', { seed: 3 });
    const x = tf.randomNormal([16, 32, 32, 3], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);
    const optimizer = tf.train.momentum(0.05, 0.9);
    const losses: number[] = [];
    const tensorsBefore = tf.memory().numTensors;
    for (let step = 0; step < 25; step++) {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
      )!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(0.5 * first);
    // Every step's tensors are freed (the optimizer's slots are created in the first step).
    const afterFirst = tf.memory().numTensors;
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    expect(tf.memory().numTensors).toBe(afterFirst);
    expect(afterFirst).toBeGreaterThan(tensorsBefore);
  }, 120_000);
});

import * as tf from '@tensorflow/tfjs-core';

import { countParams } from './params';
import { lenet300 } from './lenet300';
import { useCpuBackend } from './testing/cpu';

beforeAll(useCpuBackend);

const dense = (inputs: number, units: number) => inputs * units + units;

describe('lenet300', () => {
  it('has 266,610 parameters (784-300-100-10 with biases)', () => {
    const model = lenet300.build({ seed: 1 });
    expect(dense(784, 300) + dense(300, 100) + dense(100, 10)).toBe(266_610);
    expect(countParams(model)).toEqual({ trainable: 266_610, nonTrainable: 0, total: 266_610 });
    model.dispose();
  });

  it('maps [N, 28, 28, 1] and [N, 784] to [N, classes] logits', () => {
    for (const inputShape of [[28, 28, 1], [784]]) {
      const model = lenet300.build({ seed: 1, inputShape, numClasses: 7 });
      const y = model.predict(tf.zeros([3, ...inputShape])) as tf.Tensor;
      expect(y.shape).toEqual([3, 7]);
      tf.dispose(y);
      model.dispose();
    }
  });

  it('names its layers fc1, fc2, logits', () => {
    const model = lenet300.build({ seed: 1 });
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'flatten', 'fc1', 'fc2', 'logits']);
    model.dispose();
  });
});

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

  it('scales its hidden layers by width: 784-600-200-10 at width 2 (593,210 parameters), 784-150-50-10 at 0.5', () => {
    for (const [width, h1, h2] of [[2, 600, 200], [0.5, 150, 50]]) {
      const model = lenet300.build({ seed: 1, width });
      const total = dense(784, h1) + dense(h1, h2) + dense(h2, 10);
      expect(countParams(model)).toEqual({ trainable: total, nonTrainable: 0, total });
      model.dispose();
    }
    expect(dense(784, 600) + dense(600, 200) + dense(200, 10)).toBe(593_210);
    // max(1, round(base * width)): a tiny width still leaves one unit per layer
    const tiny = lenet300.build({ seed: 1, width: 1e-6 });
    expect(countParams(tiny).total).toBe(dense(784, 1) + dense(1, 1) + dense(1, 10));
    tiny.dispose();
  });

  it('rejects a width that is not a positive number with a RangeError naming width', () => {
    for (const width of [0, -1, NaN, Infinity]) {
      expect(() => lenet300.build({ seed: 1, width })).toThrow(RangeError);
      expect(() => lenet300.build({ seed: 1, width })).toThrow(/width/);
    }
  });

  it('names its layers fc1, fc2, logits', () => {
    const model = lenet300.build({ seed: 1 });
    expect(model.layers.map((l) => l.name)).toEqual(['input', 'flatten', 'fc1', 'fc2', 'logits']);
    model.dispose();
  });
});

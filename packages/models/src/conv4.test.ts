import * as tf from '@tensorflow/tfjs-core';

import { conv4 } from './conv4';
import { countParams } from './params';
import { useCpuBackend } from './testing/cpu';

beforeAll(useCpuBackend);

const conv = (cin: number, cout: number) => 3 * 3 * cin * cout + cout;
const dense = (inputs: number, units: number) => inputs * units + units;
/** Conv-4's parameter count for a side x side x channels input (two 2x2 pools: side / 4 left). */
const expected = (side: number, channels: number) =>
  conv(channels, 64) + conv(64, 64) + conv(64, 128) + conv(128, 128) +
  dense((side / 4) ** 2 * 128, 256) + dense(256, 256) + dense(256, 10);

describe('conv4', () => {
  it('has 1,933,258 parameters at [28, 28, 1]', () => {
    expect(expected(28, 1)).toBe(1_933_258);
    const model = conv4.build({ seed: 1 });
    expect(countParams(model)).toEqual({ trainable: 1_933_258, nonTrainable: 0, total: 1_933_258 });
    model.dispose();
  });

  it('has 2,425,930 parameters at [32, 32, 3] (the paper\'s CIFAR-10 setting)', () => {
    expect(expected(32, 3)).toBe(2_425_930);
    const model = conv4.build({ seed: 1, inputShape: [32, 32, 3] });
    expect(countParams(model).total).toBe(2_425_930);
    model.dispose();
  });

  it('maps images to [N, classes] logits', () => {
    for (const inputShape of [[28, 28, 1], [32, 32, 3]]) {
      const model = conv4.build({ seed: 1, inputShape });
      const y = model.predict(tf.ones([2, ...inputShape])) as tf.Tensor;
      expect(y.shape).toEqual([2, 10]);
      expect(model.getLayer('flatten').outputShape).toEqual([null, (inputShape[0] / 4) ** 2 * 128]);
      tf.dispose(y);
      model.dispose();
    }
  });
});

import * as tf from '@tensorflow/tfjs-core';

import { conv4 } from './conv4';
import { countParams } from './params';
import { useCpuBackend } from './testing/cpu';

beforeAll(useCpuBackend);

const conv = (cin: number, cout: number) => 3 * 3 * cin * cout + cout;
const dense = (inputs: number, units: number) => inputs * units + units;
/**
 * Conv-4's parameter count for a side x side x channels input (two 2x2 pools: side / 4 left), with
 * every hidden width multiplied by an integer k (BuildOptions.width).
 */
const expected = (side: number, channels: number, k = 1) =>
  conv(channels, 64 * k) + conv(64 * k, 64 * k) + conv(64 * k, 128 * k) + conv(128 * k, 128 * k) +
  dense((side / 4) ** 2 * 128 * k, 256 * k) + dense(256 * k, 256 * k) + dense(256 * k, 10);

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

  it('doubles every hidden width at width 2: 7,724,938 parameters at [28, 28, 1]', () => {
    // convs 1,280 + 147,584 + 295,168 + 590,080; dense 7*7*256*512 + 512 = 6,423,040, 262,656, 5,130
    expect(expected(28, 1, 2)).toBe(7_724_938);
    const model = conv4.build({ seed: 1, width: 2 });
    expect(countParams(model)).toEqual({ trainable: 7_724_938, nonTrainable: 0, total: 7_724_938 });
    expect(model.getLayer('flatten').outputShape).toEqual([null, 7 * 7 * 256]);
    model.dispose();
  });

  it('rejects a width that is not a positive number with a RangeError naming width', () => {
    for (const width of [0, -1, NaN]) expect(() => conv4.build({ seed: 1, width })).toThrow(/width must be a positive/);
    expect(() => conv4.build({ seed: 1, width: -1 })).toThrow(RangeError);
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

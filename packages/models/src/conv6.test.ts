import * as tf from '@tensorflow/tfjs-core';

import { conv6 } from './conv6';
import { countParams } from './params';
import { buildWithTaps, type ModelWithTaps } from './taps';
import { useCpuBackend } from './testing/cpu';
import { expectPrunable, expectTapLogits, expectTaps } from './testing/taps';

beforeAll(useCpuBackend);

const conv = (cin: number, cout: number) => 3 * 3 * cin * cout + cout;
const dense = (inputs: number, units: number) => inputs * units + units;
/**
 * Conv-6's parameter count; `flat` is the side left after three (valid, flooring) 2x2 pools; every
 * hidden width is multiplied by an integer k (BuildOptions.width).
 */
const expected = (flat: number, channels: number, k = 1) =>
  conv(channels, 64 * k) + conv(64 * k, 64 * k) + conv(64 * k, 128 * k) + conv(128 * k, 128 * k) +
  conv(128 * k, 256 * k) + conv(256 * k, 256 * k) +
  dense(flat ** 2 * 256 * k, 256 * k) + dense(256 * k, 256 * k) + dense(256 * k, 10);

describe('conv6', () => {
  let built: ModelWithTaps; // [28, 28, 1], built once for the tests below
  beforeAll(() => {
    built = buildWithTaps('conv6', { seed: 1 });
  });
  afterAll(() => built.model.dispose());

  it('has 1,802,698 parameters at [28, 28, 1] (28 -> 14 -> 7 -> 3)', () => {
    // convs 640 + 36,928 + 73,856 + 147,584 + 295,168 + 590,080 = 1,144,256;
    // dense 3*3*256*256 + 256 = 590,080, 65,792, 2,570
    expect(expected(3, 1)).toBe(1_802_698);
    expect(countParams(built.model)).toEqual({ trainable: 1_802_698, nonTrainable: 0, total: 1_802_698 });
  });

  it('has 2,262,602 parameters at [32, 32, 3] (the paper\'s CIFAR-10 setting) and maps images to logits', () => {
    // convs 1,792 + 36,928 + 73,856 + 147,584 + 295,168 + 590,080 = 1,145,408;
    // dense 4*4*256*256 + 256 = 1,048,832, 65,792, 2,570
    expect(expected(4, 3)).toBe(2_262_602);
    const model = conv6.build({ seed: 1, inputShape: [32, 32, 3] });
    expect(countParams(model)).toEqual({ trainable: 2_262_602, nonTrainable: 0, total: 2_262_602 });
    expect(model.getLayer('pool3').outputShape).toEqual([null, 4, 4, 256]);
    const y = model.predict(tf.ones([2, 32, 32, 3])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    tf.dispose(y);
    model.dispose();
  });

  it('maps [N, 28, 28, 1] to [N, classes] logits', () => {
    const y = built.model.predict(tf.ones([2, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    tf.dispose(y);
  });

  it('taps the three pools and the two hidden dense layers', () => {
    expectTaps(conv6, built, [[14, 14, 64], [7, 7, 128], [3, 3, 256], [256], [256]]);
  });

  it('prunes the 6 conv and 3 dense kernels: 1,801,280 weights', () => {
    // 1,802,698 parameters - 1,418 biases (64 + 64 + 128 + 128 + 256 + 256 + 256 + 256 + 10)
    expectPrunable(
      conv6,
      built.model,
      ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'conv6', 'fc1', 'fc2', 'logits'],
      1_801_280,
    );
  });

  it('doubles every hidden width at width 2: 7,201,674 parameters at [28, 28, 1]', () => {
    // convs 1,280 + 147,584 + 295,168 + 590,080 + 1,180,160 + 2,359,808;
    // dense 3*3*512*512 + 512 = 2,359,808, 262,656, 5,130
    expect(expected(3, 1, 2)).toBe(7_201_674);
    const model = conv6.build({ seed: 1, width: 2 });
    expect(countParams(model)).toEqual({ trainable: 7_201_674, nonTrainable: 0, total: 7_201_674 });
    model.dispose();
  });

  it('rejects a width that is not a positive number with a RangeError naming width', () => {
    for (const width of [0, -1, NaN]) expect(() => conv6.build({ seed: 1, width })).toThrow(/width must be a positive/);
    expect(() => conv6.build({ seed: 1, width: NaN })).toThrow(RangeError);
  });

  it('tap model logits are bitwise the plain model\'s', () => {
    expectTapLogits(built, [28, 28, 1]);
  });
});

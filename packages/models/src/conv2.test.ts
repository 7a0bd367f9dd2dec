import * as tf from '@tensorflow/tfjs-core';

import { conv2 } from './conv2';
import { countParams } from './params';
import { buildWithTaps, type ModelWithTaps } from './taps';
import { useCpuBackend } from './testing/cpu';
import { expectPrunable, expectTapLogits, expectTaps } from './testing/taps';

beforeAll(useCpuBackend);

const conv = (cin: number, cout: number) => 3 * 3 * cin * cout + cout;
const dense = (inputs: number, units: number) => inputs * units + units;
/**
 * Conv-2's parameter count for a side x side x channels input (one 2x2 pool: side / 2 left), with
 * every hidden width multiplied by an integer k (BuildOptions.width).
 */
const expected = (side: number, channels: number, k = 1) =>
  conv(channels, 64 * k) + conv(64 * k, 64 * k) + dense((side / 2) ** 2 * 64 * k, 256 * k) + dense(256 * k, 256 * k) +
  dense(256 * k, 10);

describe('conv2', () => {
  let built: ModelWithTaps; // [28, 28, 1], built once for the tests below
  beforeAll(() => {
    built = buildWithTaps('conv2', { seed: 1 });
  });
  afterAll(() => built.model.dispose());

  it('has 3,317,450 parameters at [28, 28, 1]', () => {
    // 640 + 36,928 + (14*14*64*256 + 256 = 3,211,520) + 65,792 + 2,570
    expect(expected(28, 1)).toBe(3_317_450);
    expect(countParams(built.model)).toEqual({ trainable: 3_317_450, nonTrainable: 0, total: 3_317_450 });
  });

  it('has 4,301,642 parameters at [32, 32, 3] (the paper\'s CIFAR-10 setting) and maps images to logits', () => {
    // 1,792 + 36,928 + (16*16*64*256 + 256 = 4,194,560) + 65,792 + 2,570
    expect(expected(32, 3)).toBe(4_301_642);
    const model = conv2.build({ seed: 1, inputShape: [32, 32, 3] });
    expect(countParams(model)).toEqual({ trainable: 4_301_642, nonTrainable: 0, total: 4_301_642 });
    const y = model.predict(tf.ones([2, 32, 32, 3])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    tf.dispose(y);
    model.dispose();
  });

  it('maps [N, 28, 28, 1] to [N, classes] logits', () => {
    const y = built.model.predict(tf.ones([2, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(built.model.getLayer('flatten').outputShape).toEqual([null, 14 * 14 * 64]);
    tf.dispose(y);
  });

  it('taps the pool and the two hidden dense layers', () => {
    expectTaps(conv2, built, [[14, 14, 64], [256], [256]]);
  });

  it('prunes the 2 conv and 3 dense kernels: 3,316,800 weights', () => {
    // 3,317,450 parameters - 650 biases (64 + 64 + 256 + 256 + 10)
    expectPrunable(conv2, built.model, ['conv1', 'conv2', 'fc1', 'fc2', 'logits'], 3_316_800);
  });

  it('doubles every hidden width at width 2: 13,262,218 parameters at [28, 28, 1]', () => {
    // 1,280 + 147,584 + (14*14*128*512 + 512 = 12,845,568) + 262,656 + 5,130
    expect(expected(28, 1, 2)).toBe(13_262_218);
    const model = conv2.build({ seed: 1, width: 2 });
    expect(countParams(model)).toEqual({ trainable: 13_262_218, nonTrainable: 0, total: 13_262_218 });
    model.dispose();
  });

  it('rejects a width that is not a positive number with a RangeError naming width', () => {
    for (const width of [0, -2, NaN]) expect(() => conv2.build({ seed: 1, width })).toThrow(/width must be a positive/);
    expect(() => conv2.build({ seed: 1, width: 0 })).toThrow(RangeError);
  });

  it('tap model logits are bitwise the plain model\'s', () => {
    expectTapLogits(built, [28, 28, 1]);
  });
});

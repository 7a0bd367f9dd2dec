import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { countParams } from './params';
import { resnet20 } from './resnet20';
import { useCpuBackend } from './testing/cpu';

beforeAll(useCpuBackend);

const conv = (cin: number, cout: number) => 3 * 3 * cin * cout; // no bias: batch norm follows

describe('resnet20', () => {
  let model: tfl.LayersModel;
  beforeAll(() => {
    model = resnet20.build({ seed: 1 });
  });
  afterAll(() => model.dispose());

  it('has 269,722 trainable parameters and 1,376 BN moving statistics (option A shortcuts)', () => {
    const convs =
      conv(3, 16) + 6 * conv(16, 16) + conv(16, 32) + 5 * conv(32, 32) + conv(32, 64) + 5 * conv(64, 64);
    const bnChannels = 16 + 6 * 16 + 6 * 32 + 6 * 64;
    const trainable = convs + 2 * bnChannels + (64 * 10 + 10);
    expect(convs).toBe(267_696);
    expect(trainable).toBe(269_722);
    expect(countParams(model)).toEqual({ trainable: 269_722, nonTrainable: 2 * bnChannels, total: 271_098 });
  });

  it('doubles the stage widths to 32/64/128 at width 2: 1,073,962 trainable parameters', () => {
    const k = 2;
    const convs =
      conv(3, 16 * k) + 6 * conv(16 * k, 16 * k) + conv(16 * k, 32 * k) + 5 * conv(32 * k, 32 * k) +
      conv(32 * k, 64 * k) + 5 * conv(64 * k, 64 * k);
    const bnChannels = 16 * k + 6 * 16 * k + 6 * 32 * k + 6 * 64 * k;
    expect(convs).toBe(1_069_920);
    expect(convs + 2 * bnChannels + (64 * k * 10 + 10)).toBe(1_073_962);
    const wide = resnet20.build({ seed: 1, width: 2, inputShape: [8, 8, 3] }); // parameters do not depend on the side
    expect(countParams(wide)).toEqual({ trainable: 1_073_962, nonTrainable: 2 * bnChannels, total: 1_073_962 + 2 * bnChannels });
    expect(wide.getLayer('s3b1_shortcut').outputShape).toEqual([null, 2, 2, 128]);
    wide.dispose();
  });

  it('rejects a width that is not a positive number with a RangeError naming width', () => {
    for (const width of [0, -1, NaN]) expect(() => resnet20.build({ seed: 1, width })).toThrow(/width must be a positive/);
    expect(() => resnet20.build({ seed: 1, width: 0 })).toThrow(RangeError);
  });

  it('has 19 convs, 19 batch norms, 2 parameter-free shortcuts', () => {
    const count = (cls: string) => model.layers.filter((l) => l.getClassName() === cls).length;
    expect(count('Conv2D')).toBe(19);
    expect(count('KdltsFusedBatchNormalization')).toBe(19); // tfjs-layers BatchNormalization with the fused kernel
    expect(count('KdltsShortcutA')).toBe(2);
    expect(model.getLayer('s2b1_shortcut').outputShape).toEqual([null, 16, 16, 32]);
    expect(model.getLayer('s3b1_shortcut').outputShape).toEqual([null, 8, 8, 64]);
  });

  it('maps [N, 32, 32, 3] to [N, 10] logits, in inference and training mode', () => {
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    const yt = model.apply(x, { training: true }) as tf.Tensor;
    expect(yt.shape).toEqual([2, 10]);
    expect(Array.from(yt.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y, yt]);
  });

  it('takes a gradient through every trainable weight in training mode', () => {
    // At 8x8 (stages at 8, 4, 2): tfjs-backend-cpu's Conv2DBackpropFilter needs ~40 s per 32x32 image.
    const small = resnet20.build({ seed: 1, inputShape: [8, 8, 3] });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 6);
    const vars = small.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = () => tf.mean(tf.square(small.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
    const { grads } = tf.variableGrads(loss, vars);
    expect(Object.keys(grads)).toHaveLength(vars.length);
    for (const v of vars) {
      expect(grads[v.name].shape).toEqual(v.shape);
      expect(tf.any(tf.notEqual(grads[v.name], 0)).dataSync()[0]).toBe(1);
    }
    tf.dispose([x, ...Object.values(grads)]);
    small.dispose();
  });
});

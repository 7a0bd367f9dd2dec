import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { ShortcutA } from './shortcut';
import { useCpuBackend } from './testing/cpu';

beforeAll(useCpuBackend);

describe('ShortcutA', () => {
  it('subsamples x[:, ::2, ::2, :] and zero-pads the new channels half before, half after', () => {
    const x = tf.reshape(tf.range(0, 2 * 5 * 5 * 2), [2, 5, 5, 2]);
    const y = new ShortcutA({ filters: 6, strides: 2 }).apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 3, 3, 6]);
    const xv = x.arraySync() as number[][][][];
    const yv = y.arraySync() as number[][][][];
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) expect(yv[n][i][j]).toEqual([0, 0, ...xv[n][2 * i][2 * j], 0, 0]);
    tf.dispose([x, y]);
  });

  it('computes symbolic output shapes (ceil(H / s))', () => {
    const input = tfl.input({ shape: [7, 8, 16] });
    const y = new ShortcutA({ filters: 32, strides: 2 }).apply(input) as tfl.SymbolicTensor;
    expect(y.shape).toEqual([null, 4, 4, 32]);
  });

  it('passes the gradient back to the sampled positions of the kept channels', () => {
    const layer = new ShortcutA({ filters: 4, strides: 2 });
    const x = tf.ones([1, 4, 4, 2]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
    const expected = tf.tile(tf.tensor4d([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0], [1, 4, 4, 1]), [1, 1, 1, 2]);
    expect(Array.from(dx.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, dx, expected]);
  });

  it('round-trips through its config (registered for serialization)', () => {
    const layer = new ShortcutA({ filters: 32, strides: 2, name: 'sc' });
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[ShortcutA.className];
    expect(entry?.[0]).toBe(ShortcutA);
    const [cls, fromConfig] = entry;
    const copy = fromConfig(cls, layer.getConfig()) as ShortcutA;
    expect([copy.filters, copy.strides, copy.name]).toEqual([32, 2, 'sc']);
  });
});

import * as tf from '@tensorflow/tfjs-core';

import { BACKEND_NAME, batchNormTraining, registerKdltsBackend } from '../index';

// Fused training-mode batch norm (kdlts) against tfjs's composition (moments + batchNorm) on
// tfjs-backend-cpu: forward outputs and gradients in x, scale and offset.
// Tolerance: 2e-5 relative to the largest magnitude of each result: the fused kernel
// accumulates its statistics in float64 in a different order than tfjs's two-pass
// composition, and dx is a difference of terms of similar size.
const TOLERANCE = 2e-5;

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomArray(n: number, seed: number, spread = 2, shift = 0.5): Float32Array {
  const next = seeded(seed);
  return Float32Array.from({ length: n }, () => (next() - 0.5) * spread + shift);
}

interface Outputs {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dscale: Float32Array;
  doffset: Float32Array;
}

async function run(backend: string, shape: number[], seed: number, lossUsesStats: boolean, activation: 'linear' | 'relu'): Promise<Outputs> {
  await tf.setBackend(backend);
  const channels = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const x = tf.tensor(randomArray(size, seed, 3, 0.7), shape);
    const scale = tf.tensor1d(randomArray(channels, seed + 1, 1, 1));
    const offset = tf.tensor1d(randomArray(channels, seed + 2, 1, 0));
    const weights = tf.tensor(randomArray(size, seed + 3), shape);
    const forward = batchNormTraining(x, scale, offset, 1e-3, activation);
    const loss = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const r = batchNormTraining(a, s, o, 1e-3, activation);
      const main = tf.sum(tf.mul(r.y, weights));
      return lossUsesStats ? tf.add(main, tf.add(tf.sum(tf.mul(r.mean, 0.3)), tf.sum(tf.mul(r.variance, -0.2)))) : main;
    };
    const [dx, dscale, doffset] = tf.grads(loss)([x, scale, offset]);
    return {
      y: forward.y.dataSync() as Float32Array,
      mean: forward.mean.dataSync() as Float32Array,
      variance: forward.variance.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dscale: dscale.dataSync() as Float32Array,
      doffset: doffset.dataSync() as Float32Array,
    };
  });
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 0, err = 0;
  for (let i = 0; i < expected.length; ++i) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; ++i) err = Math.max(err, Math.abs(actual[i] - expected[i]));
  return err / Math.max(scale, 1e-30);
}

describe('batchNormTraining', () => {
  const status = registerKdltsBackend();

  it.each([
    [[2, 3, 3, 4], false, 'linear'],
    [[1, 5, 7, 3], false, 'linear'],
    [[16, 8, 8, 16], false, 'linear'],
    [[7, 17], false, 'linear'],
    [[4, 6, 6, 5], true, 'linear'],
    [[2, 3, 3, 4], false, 'relu'],
    [[16, 8, 8, 16], false, 'relu'],
    [[4, 6, 6, 5], true, 'relu'],
  ] as const)('shape %j (loss reads the statistics: %s, activation %s) matches the composition on cpu', async (shape, lossUsesStats, activation) => {
    const seed = 1000 + shape.reduce((a, b) => a * 7 + b, 0);
    const expected = await run('cpu', [...shape], seed, lossUsesStats, activation);
    const actual = await run(BACKEND_NAME, [...shape], seed, lossUsesStats, activation);
    for (const key of Object.keys(expected) as (keyof Outputs)[]) {
      expect(actual[key].length).toBe(expected[key].length);
      const err = maxRelativeError(actual[key], expected[key]);
      if (!(err <= TOLERANCE)) throw new Error(`${key}: relative error ${err} > ${TOLERANCE}`);
    }
  });

  it('uses the fused kernel on kdlts when the native core is built', () => {
    if (process.env.CI) expect(status.native).toBe(true);
    if (status.native) expect(tf.getKernel('KdltsBatchNormTrain', BACKEND_NAME)).toBeDefined();
  });

  it('rejects a scale that does not match the channels', async () => {
    await tf.setBackend(BACKEND_NAME);
    const x = tf.zeros([2, 3]);
    expect(() => batchNormTraining(x, tf.ones([2]), tf.zeros([3]))).toThrow(/scale and offset need 3 values/);
    x.dispose();
  });
});

describe('the fused ReLU gradient', () => {
  it('equals tfjs-backend-cpu bitwise (NaN, -0, +-Inf included)', async () => {
    registerKdltsBackend();
    const xs = new Float32Array([-2, -0, 0, 1e-30, 3, NaN, Infinity, -Infinity, 0.5, -0.5]);
    const dys = new Float32Array([1, 2, 3, 4, 5, 6, 7, NaN, Infinity, -Infinity]);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const dy = tf.tensor1d(dys);
        return Array.from(tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), dy)))(tf.tensor1d(xs)).dataSync());
      });
    };
    const expected = await run('cpu');
    const actual = await run(BACKEND_NAME);
    expected.forEach((e, i) => expect(Object.is(actual[i], e) || (Number.isNaN(e) && Number.isNaN(actual[i]))).toBe(true));
  });
});

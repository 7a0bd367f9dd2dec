import * as tf from '@tensorflow/tfjs-core';

import { BufferPool, MIN_POOLED_LENGTH } from './buffer_pool';
import { BACKEND_NAME, registerKdltsBackend } from './index';
import type { KdltsBackend } from './kdlts_backend';

const N = MIN_POOLED_LENGTH * 2;

describe('BufferPool', () => {
  it('reuses a released buffer of the same length, and only whole buffers it allocated', () => {
    const pool = new BufferPool();
    const a = pool.allocate(N);
    pool.release(a);
    expect(pool.allocate(N)).toBe(a);
    expect(pool.allocate(N)).not.toBe(a);
    pool.release(new Float32Array(N)); // not ours
    expect(pool.bytesFree).toBe(0);
    expect(pool.allocate(10)).toHaveLength(10); // small: plain allocation
  });

  it('never recycles a retired buffer (read by a user, or viewed by another tensor)', () => {
    const pool = new BufferPool();
    const a = pool.allocate(N);
    pool.retire(a.subarray(5, 9));
    pool.release(a);
    expect(pool.bytesFree).toBe(0);
    expect(pool.stats.retired).toBe(1);
  });

  it('keeps at most maxFreeBytes', () => {
    const pool = new BufferPool(N * 4);
    const [a, b] = [pool.allocate(N), pool.allocate(N)];
    pool.release(a);
    pool.release(b);
    expect(pool.bytesFree).toBe(N * 4);
  });
});

describe('the kdlts backend recycles native outputs safely', () => {
  const status = registerKdltsBackend();
  let backend: KdltsBackend;
  beforeAll(async () => {
    await tf.setBackend(BACKEND_NAME);
    backend = tf.backend() as KdltsBackend;
  });

  const x = () => tf.tidy(() => tf.sub(tf.randomUniform([4, 16, 16, 32], 0, 1, 'float32', 5), 0.5)) as tf.Tensor4D;

  it('recycles the outputs of disposed intermediate tensors', () => {
    if (!status.native) return;
    const before = backend.pool.stats.reused;
    for (let i = 0; i < 5; i++) tf.tidy(() => tf.sum(tf.relu(tf.mul(x(), 2))));
    expect(backend.pool.stats.reused).toBeGreaterThan(before);
  });

  it('an array returned by dataSync is never overwritten after its tensor is disposed', () => {
    const t = tf.relu(x());
    const seen = t.dataSync();
    const copy = Float32Array.from(seen);
    t.dispose();
    for (let i = 0; i < 3; i++) tf.tidy(() => tf.relu(tf.neg(x())));
    expect(seen).toEqual(copy);
  });

  it('a tensor on a view of a pooled buffer (contiguous slice) survives its source', () => {
    const source = tf.relu(x());
    const view = tf.slice(source, [0], [2]); // tfjs-backend-cpu returns a subarray here
    const expected = Float32Array.from(tf.tidy(() => tf.relu(tf.slice(x(), [0], [2]))).dataSync());
    source.dispose();
    for (let i = 0; i < 3; i++) tf.tidy(() => tf.exp(tf.neg(x())));
    expect(view.dataSync()).toEqual(expected);
    view.dispose();
  });

  it('kernel outputs do not depend on what a recycled buffer held (free buffers filled with NaN)', async () => {
    const ops: [string, (t: tf.Tensor4D) => tf.Tensor][] = [
      ['conv2d', (t) => tf.conv2d(t, tf.ones([3, 3, 32, 32]) as tf.Tensor4D, 1, 'same')],
      ['conv2d grad', (t) => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, tf.ones([3, 3, 32, 32]) as tf.Tensor4D, 2, 'same')))(t)],
      ['conv2d filter grad', (t) => tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(t, f as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 32, 32]) as tf.Tensor4D)],
      ['maxPool grad', (t) => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(t)],
      ['avgPool grad', (t) => tf.grad((a: tf.Tensor) => tf.sum(tf.avgPool(a as tf.Tensor4D, 3, 2, 'same')))(t)],
      ['batchNorm', (t) => tf.batchNorm(t, tf.zeros([32]), tf.ones([32]))],
      ['relu', (t) => tf.relu(t)],
      ['add broadcast', (t) => tf.add(t, tf.ones([32]))],
      ['sum axes 0-2', (t) => tf.sum(t, [0, 1, 2])],
      ['tile', (t) => tf.tile(t, [1, 1, 1, 2])],
      ['transpose', (t) => tf.transpose(t, [0, 3, 1, 2])],
      ['matMul', (t) => tf.matMul(tf.reshape(t, [64, 512]), tf.ones([512, 64]))],
    ];
    const results = new Map<string, Float32Array>();
    await tf.setBackend('cpu');
    for (const [name, op] of ops) results.set(name, tf.tidy(() => op(x()).dataSync() as Float32Array));
    await tf.setBackend(BACKEND_NAME);
    for (const [name, op] of ops) {
      for (let round = 0; round < 2; round++) {
        backend.pool.fillFree(NaN);
        const actual = tf.tidy(() => op(x()).dataSync() as Float32Array);
        const expected = results.get(name)!;
        let worst = 0;
        for (let i = 0; i < expected.length; i++) {
          const err = Math.abs(actual[i] - expected[i]);
          worst = Number.isNaN(err) ? Infinity : Math.max(worst, err / (1 + Math.abs(expected[i])));
        }
        if (!(worst <= 1e-4)) throw new Error(`${name} (round ${round}): worst relative error ${worst}`);
      }
    }
  });
});

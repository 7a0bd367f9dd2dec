import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';

import { gramMatrices } from './gram';

// Reference: the same Gram in float64 JS, and its gradient by central finite differences.
function gram64(f: Float64Array | Float32Array, b: number, d: number): Float64Array {
  const fh = new Float64Array(b * d);
  for (let i = 0; i < b; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += f[i * d + k] ** 2;
    const r = Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < d; k++) fh[i * d + k] = f[i * d + k] / r;
  }
  const g = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += fh[i * d + k] * fh[j * d + k];
    g[i * b + j] = s;
  }
  return g;
}

let seed = 1;
const rand = (n: number) => Float32Array.from({ length: n }, () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 1073741824 - 1;
});

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

describe('gramMatrices op', () => {
  test('forward: every tap at once equals the float64 reference (1e-6)', () => {
    const shapes = [[5, 3, 3, 2], [5, 7], [5, 1]];
    const feats = shapes.map((s) => tf.tensor(rand(s.reduce((a, b) => a * b)), s));
    const g = gramMatrices(feats);
    expect(g.shape).toEqual([3, 5, 5]);
    const got = g.dataSync();
    feats.forEach((f, l) => {
      const d = f.size / 5;
      const want = gram64(f.dataSync() as Float32Array, 5, d);
      for (let i = 0; i < 25; i++) expect(Math.abs(got[l * 25 + i] - want[i])).toBeLessThan(1e-6);
    });
    // rows normalised: unit diagonal (a [5,1] tap: every entry is ±1)
    for (let l = 0; l < 3; l++) for (let i = 0; i < 5; i++) expect(got[l * 25 + i * 6]).toBeCloseTo(1, 6);
    tf.dispose([...feats, g]);
  });

  test('gradient: matches central finite differences of the float64 reference (relative 1e-3)', () => {
    const b = 4;
    const dims = [6, 3];
    const feats = dims.map((d) => tf.tensor2d(rand(b * d), [b, d]));
    const weights = tf.tensor3d(rand(dims.length * b * b), [dims.length, b, b]); // loss = Σ W ⊙ G
    const grads = tf.grads((...fs: tf.Tensor[]) => tf.sum(tf.mul(gramMatrices(fs), weights)))(feats);
    const w = weights.dataSync();
    feats.forEach((f, l) => {
      const d = dims[l];
      const x = Float64Array.from(f.dataSync());
      const g = grads[l].dataSync();
      const loss = (v: Float64Array) => gram64(v, b, d).reduce((s, gv, i) => s + gv * w[l * b * b + i], 0);
      for (let i = 0; i < x.length; i++) {
        const h = 1e-5;
        const up = x.slice(); up[i] += h;
        const dn = x.slice(); dn[i] -= h;
        const fd = (loss(up) - loss(dn)) / (2 * h);
        expect(Math.abs(g[i] - fd)).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(fd)));
      }
    });
    tf.dispose([...feats, weights, ...grads]);
  });

  test('gradient composes with autodiff: equals tfjs differentiating the plain tf formula (1e-4)', () => {
    const x = tf.tensor2d(rand(6 * 5), [6, 5]);
    const plain = (f: tf.Tensor) => {
      const fh = tf.div(f, tf.maximum(tf.norm(f, 'euclidean', 1, true), 1e-12));
      return tf.matMul(fh as tf.Tensor2D, fh as tf.Tensor2D, false, true);
    };
    const target = tf.tensor2d(rand(36), [6, 6]);
    const ours = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.sub(tf.squeeze(gramMatrices([tf.relu(f)]), [0]), target))))(x);
    const theirs = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.sub(plain(tf.relu(f)), target))))(x);
    const a = ours.dataSync();
    const c = theirs.dataSync();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - c[i])).toBeLessThan(1e-4);
    tf.dispose([x, target, ours, theirs]);
  });

  test('edge cases: batch of one, an all-zero sample (finite, zero row), no leaks', () => {
    const before = tf.memory().numTensors;
    const one = tf.tensor2d([[3, 4]]);
    const g1 = gramMatrices([one]);
    expect(Array.from(g1.dataSync())).toEqual([expect.closeTo(1, 6)]);
    const z = tf.tensor2d([[0, 0, 0], [1, 2, 2]]);
    const [gz] = tf.grads((f: tf.Tensor) => tf.sum(gramMatrices([f])))([z]);
    expect(Array.from(gramMatrices([z]).dataSync()).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0, 0, 1]);
    expect(Array.from(gz.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([one, g1, z, gz]);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // the un-disposed gramMatrices([z]) above
  });

  test('bad inputs are clear errors', () => {
    expect(() => gramMatrices([])).toThrow(/no features given/);
    const a = tf.zeros([4, 3]);
    const b = tf.zeros([5, 3]);
    expect(() => gramMatrices([a, b])).toThrow(/features\[1\] has batch 5, features\[0\] has 4/);
    expect(() => gramMatrices([tf.zeros([4])])).toThrow(/shape \[4\], expected \[batch, \.\.\.\]/);
    expect(() => gramMatrices([tf.zeros([2, 2], 'int32')])).toThrow(/int32, expected float32/);
    tf.dispose([a, b]);
  });
});

import * as tf from '@tensorflow/tfjs-core';

import { keptCount, selectTopK } from '../select';
import { denseChain, randomBatches, tinyConvNet, topkIndices, useKdltsBackend, weightValues } from '../testing/tiny';
import { snip, snipScores } from './snip';
import type { ScoringBatch } from './strategy';

// |s - ref| <= 1e-4 * max|ref| + 1e-5 * |ref|: float32 sums of a few dozen terms are good to
// ~1e-6 relative; the margin covers the different summation orders of the two computations.
function expectClose(actual: Float32Array, expected: ArrayLike<number>): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  expect(scale).toBeGreaterThan(0);
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(1e-4 * scale + 1e-5 * Math.abs(expected[i]));
  }
}

/** d(mean cross-entropy)/dW of a linear softmax layer z = xW + b, by hand in float64, summed over batches. */
function linearSoftmaxGradient(w: Float32Array, b: Float32Array, batches: ScoringBatch[], inputs: number, classes: number): Float64Array {
  const grad = new Float64Array(inputs * classes);
  for (const { images, labels, size } of batches) {
    for (let r = 0; r < size; r++) {
      const z = Array.from({ length: classes }, (_, c) => {
        let s = b[c];
        for (let i = 0; i < inputs; i++) s += images[r * inputs + i] * w[i * classes + c];
        return s;
      });
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const total = e.reduce((a, v) => a + v, 0);
      for (let c = 0; c < classes; c++) {
        const dz = (e[c] / total - (labels[r] === c ? 1 : 0)) / size;
        for (let i = 0; i < inputs; i++) grad[i * classes + c] += images[r * inputs + i] * dz;
      }
    }
  }
  return grad;
}

/** |g * w| with g from tf.grads of a plain function of the weights (tfjs's own softmaxCrossEntropy, no model). */
function plainScores(f: (ws: tf.Tensor[], x: tf.Tensor) => tf.Tensor, weights: Float32Array[], shapes: number[][], batches: ScoringBatch[], xShape: number[], classes: number) {
  const sum = weights.map((w) => new Float64Array(w.length));
  for (const batch of batches) {
    tf.tidy(() => {
      const x = tf.tensor(batch.images, [batch.size, ...xShape]);
      const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes);
      const ws = weights.map((w, i) => tf.tensor(w, shapes[i]));
      const grads = tf.grads((...args: tf.Tensor[]) => tf.losses.softmaxCrossEntropy(y, f(args, x)))(ws);
      grads.forEach((g, i) => g.dataSync().forEach((v, j) => (sum[i][j] += v)));
    });
  }
  return sum.map((g, i) => Float64Array.from(g, (v, j) => Math.abs(v * weights[i][j])));
}

describe('SNIP', () => {
  beforeAll(useKdltsBackend);

  it('scores |g * w| of a linear softmax layer as computed by hand (two batches summed)', () => {
    const { model, prunable } = denseChain([6, 4], { seed: 1 });
    const batches = randomBatches(2, 8, [6], 4, 10);
    const [w] = weightValues(prunable);
    const b = model.getLayer('fc1').getWeights()[1].dataSync() as Float32Array;
    const g = linearSoftmaxGradient(w, b, batches, 6, 4);
    const scores = snipScores(model, prunable, batches);
    expectClose(scores.get('fc1/kernel')!, Float64Array.from(g, (v, j) => Math.abs(v * w[j])));
  });

  it('matches tf.grads of the same dense tanh network written as a plain function', () => {
    const { model, prunable } = denseChain([5, 7, 3], { seed: 2, activation: 'tanh' });
    const batches = randomBatches(3, 6, [5], 3, 11);
    const [b1, b2] = ['fc1', 'fc2'].map((n) => model.getLayer(n).getWeights()[1]);
    const expected = plainScores(
      ([w1, w2], x) => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2), b2),
      weightValues(prunable),
      prunable.map((p) => p.shape),
      batches,
      [5],
      3,
    );
    const scores = snipScores(model, prunable, batches);
    prunable.forEach((p, i) => expectClose(scores.get(p.name)!, expected[i]));
  });

  it('matches tf.grads through a convolution, a ReLU and a max pool', () => {
    const { model, prunable } = tinyConvNet({ seed: 3, activation: 'relu' });
    const batches = randomBatches(1, 5, [6, 6, 2], 3, 12);
    const [bc, bd] = ['conv1', 'logits'].map((n) => model.getLayer(n).getWeights()[1]);
    const expected = plainScores(
      ([k, w], x) => {
        const h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), bc)) as tf.Tensor4D, 2, 2, 'valid');
        return tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]), w), bd);
      },
      weightValues(prunable),
      prunable.map((p) => p.shape),
      batches,
      [6, 6, 2],
      3,
    );
    const scores = snipScores(model, prunable, batches);
    prunable.forEach((p, i) => expectClose(scores.get(p.name)!, expected[i]));
  });

  it('keeps the k highest scores, using options.batches batches of the data', async () => {
    const { model, prunable } = denseChain([6, 8, 4], { seed: 4, activation: 'relu' });
    const batches = randomBatches(3, 8, [6], 4, 13);
    const scores = snipScores(model, prunable, batches.slice(0, 2));
    const mask = await snip.prune({ model, prunable, sparsity: 0.8, seed: 0, data: batches, selection: {}, options: { batches: 2 } });
    const n = 6 * 8 + 8 * 4;
    const k = keptCount(n, 0.8);
    expect(mask.count()).toBe(k);
    const all = Float32Array.from(prunable.flatMap((p) => [...scores.get(p.name)!]));
    const expected = topkIndices(all, k);
    expect([...mask.flat()]).toEqual(Array.from({ length: n }, (_, i) => (expected.has(i) ? 1 : 0)));
    expect(mask.equals(selectTopK(prunable, prunable.map((p) => scores.get(p.name)!), k))).toBe(true);
    await expect(snip.prune({ model, prunable, sparsity: 0.8, seed: 0, data: batches.slice(0, 1), selection: {}, options: { batches: 2 } })).rejects.toThrow(
      'snip: needs 2 batch(es), the data gave 1',
    );
    await expect(snip.prune({ model, prunable, sparsity: 0.8, seed: 0, selection: {}, options: {} })).rejects.toThrow("method 'snip' needs data");
  });
});

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { lossGradient, valuesOf } from '../loss';
import { keptCount } from '../select';
import { denseChain, randomBatches, setWeights, tinyConvNet, topkIndices, useKdltsBackend, weightValues, type TinyNet } from '../testing/tiny';
import { grasp, graspScores, hessianGradientProduct } from './grasp';
import type { ScoringBatch } from './strategy';

// The check: Hg by double backprop against a central finite difference of the gradient along
// v = g / |g|: H v ~ (g(w + eps v) - g(w - eps v)) / (2 eps), then Hg = |g| H v.
// eps = 1e-2 moves the weights (~0.1-1) by at most 1e-2 in norm. Truncation error is
// O(eps^2 |third derivative|) ~ 1e-4 relative on these smooth (or, for ReLU and max pool, piecewise
// smooth, checked below to stay in one piece) nets; float32 rounding in the difference of two
// gradients adds ~1e-7 |g| / (2 eps |Hv|) ~ 1e-5. Tolerance: |FD - Hg| <= 2e-3 |Hg| (norms over
// all weights), with cosine > 0.99999. (Measured: 2e-5 to 1.5e-4.) On the ReLU conv net a step
// of 1e-2 crosses a ReLU kink, so it uses eps = 1e-3 (rounding then ~1e-4).
const EPS = 1e-2;
const TOLERANCE = 2e-3;

function flat(parts: Float32Array[]): Float64Array {
  return Float64Array.from(parts.flatMap((p) => [...p]));
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function gradientAt(net: TinyNet, weights: Float32Array[], batches: ScoringBatch[], temperature: number): Float64Array {
  setWeights(net.prunable, weights);
  const g = lossGradient(net.model, net.prunable, batches, temperature);
  const values = flat(g.map(valuesOf));
  tf.dispose(g);
  return values;
}

/** The activations whose pattern (ReLU zeros, max-pool winners) must not change between w - eps v and w + eps v. */
function pattern(net: TinyNet, layers: string[], batches: ScoringBatch[], shape: number[]): string {
  const probes = layers.map((layer) => tfl.model({ inputs: net.model.inputs, outputs: net.model.getLayer(layer).output as tfl.SymbolicTensor }));
  return tf.tidy(() =>
    probes
      .flatMap((probe) => batches.map((b) => ({ probe, b })))
      .map(({ probe, b }) => {
        const out = probe.predict(tf.tensor(b.images, [b.size, ...shape])) as tf.Tensor;
        const zeros = Array.from(out.dataSync(), (v) => (v === 0 ? '0' : '1')).join('');
        if (out.rank !== 4) return zeros;
        const { indexes } = tf.maxPoolWithArgmax(out as tf.Tensor4D, 2, 2, 'valid', true);
        return zeros + '|' + Array.from(indexes.dataSync()).join(',');
      })
      .join('/'),
  );
}

function checkAgainstFiniteDifference(net: TinyNet, batches: ScoringBatch[], shape: number[], temperature: number, probeLayers: string[] = [], eps = EPS) {
  const w0 = weightValues(net.prunable);
  const { gradient, hessianGradient } = hessianGradientProduct(net.model, net.prunable, batches, temperature);
  const g = flat(gradient);
  const hg = flat(hessianGradient);
  const gNorm = norm(g);
  const shifted = (sign: number) => {
    let offset = 0;
    return w0.map((w) => {
      const out = Float32Array.from(w, (x, j) => x + (sign * eps * g[offset + j]) / gNorm);
      offset += w.length;
      return out;
    });
  };
  const plus = shifted(1);
  const minus = shifted(-1);
  if (probeLayers.length) {
    setWeights(net.prunable, plus);
    const p = pattern(net, probeLayers, batches, shape);
    setWeights(net.prunable, minus);
    expect(pattern(net, probeLayers, batches, shape)).toBe(p); // the difference stays within one smooth piece
  }
  const gPlus = gradientAt(net, plus, batches, temperature);
  const gMinus = gradientAt(net, minus, batches, temperature);
  setWeights(net.prunable, w0);
  const fd = Float64Array.from(gPlus, (v, i) => ((v - gMinus[i]) / (2 * eps)) * gNorm);
  const error = norm(Float64Array.from(fd, (v, i) => v - hg[i]));
  let dot = 0;
  for (let i = 0; i < fd.length; i++) dot += fd[i] * hg[i];
  expect(norm(hg)).toBeGreaterThan(0);
  expect(error).toBeLessThanOrEqual(TOLERANCE * norm(hg));
  expect(dot / (norm(fd) * norm(hg))).toBeGreaterThan(0.99999);
}

describe('GraSP', () => {
  beforeAll(useKdltsBackend);

  it('Hg matches finite differences on a dense tanh net at T = 200 and T = 1', () => {
    const net = denseChain([5, 6, 3], { seed: 1, activation: 'tanh', scale: 2 });
    const batches = randomBatches(2, 8, [5], 3, 21);
    checkAgainstFiniteDifference(net, batches, [5], 200);
    checkAgainstFiniteDifference(net, batches, [5], 1);
  });

  it('Hg matches finite differences through ReLUs (the kdlts fused ReLU gradient, differentiated again)', () => {
    const net = denseChain([5, 8, 8, 3], { seed: 2, activation: 'relu', scale: 2 });
    const batches = randomBatches(1, 8, [5], 3, 22);
    checkAgainstFiniteDifference(net, batches, [5], 1, ['fc1', 'fc2']);
  });

  it('Hg matches finite differences through a convolution, a batch norm (inference) and a max pool', () => {
    const net = tinyConvNet({ seed: 3, activation: 'tanh', batchNorm: true });
    const batches = randomBatches(1, 4, [6, 6, 2], 3, 23);
    checkAgainstFiniteDifference(net, batches, [6, 6, 2], 1, ['act1']);
    const relu = tinyConvNet({ seed: 4, activation: 'relu' });
    checkAgainstFiniteDifference(relu, batches, [6, 6, 2], 1, ['conv1'], 1e-3);
  });

  it('leaks no tensors and puts back tfjs own Exp, Tanh and Sigmoid gradients', () => {
    const net = denseChain([4, 5, 3], { seed: 6, activation: 'tanh' });
    const batches = randomBatches(1, 4, [4], 3, 25);
    const own = [tf.Exp, tf.Tanh, tf.Sigmoid].map((name) => tf.getGradient(name));
    hessianGradientProduct(net.model, net.prunable, batches); // warm-up (lazy allocations)
    const before = tf.memory().numTensors;
    hessianGradientProduct(net.model, net.prunable, batches);
    expect(tf.memory().numTensors).toBe(before);
    expect([tf.Exp, tf.Tanh, tf.Sigmoid].map((name) => tf.getGradient(name))).toEqual(own);
  });

  it('scores w * Hg (higher = keep), so the mask removes the highest GraSP scores -w * Hg', async () => {
    const { model, prunable } = denseChain([6, 8, 4], { seed: 5, activation: 'tanh' });
    const batches = randomBatches(1, 16, [6], 4, 24);
    const { hessianGradient } = hessianGradientProduct(model, prunable, batches, 200);
    const w = weightValues(prunable);
    const scores = graspScores(model, prunable, batches, 200);
    prunable.forEach((p, l) => expect(scores.get(p.name)).toEqual(Float32Array.from(w[l], (x, j) => x * hessianGradient[l][j])));

    const mask = await grasp.prune({ model, prunable, sparsity: 0.75, seed: 0, data: batches, selection: {}, options: {} });
    const graspScore = Float64Array.from(flat(w), (x, i) => -x * flat(hessianGradient)[i]);
    const n = graspScore.length;
    const k = keptCount(n, 0.75);
    const removed = topkIndices(graspScore, n - k);
    const kept = mask.flat();
    for (let i = 0; i < n; i++) expect(kept[i]).toBe(removed.has(i) ? 0 : 1);
  });
});

import * as tf from '@tensorflow/tfjs-core';

import { keptCount, selectTopK } from '../select';
import { allWeightValues, denseChain, tinyConvNet, useKdltsBackend, weightValues } from '../testing/tiny';
import { synflow, synflowMask, synflowScores } from './synflow';

/** R = 1^T |W_1| |W_2| ... |W_L| 1 in float64 (kernels stored [in, out], row-major). */
function synapticFlowByHand(kernels: Float32Array[], units: number[]): number {
  let v = new Float64Array(units[0]).fill(1);
  kernels.forEach((w, l) => {
    const next = new Float64Array(units[l + 1]);
    for (let i = 0; i < units[l]; i++) for (let o = 0; o < units[l + 1]; o++) next[o] += v[i] * Math.abs(w[i * units[l + 1] + o]);
    v = next;
  });
  return v.reduce((a, b) => a + b, 0);
}

function sum(values: Float32Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

describe('SynFlow', () => {
  beforeAll(useKdltsBackend);

  // Conservation: R is linear in every layer's |W|, so sum_ij |w_ij dR/dw_ij| = R for each layer.
  // Tolerance 1e-4 relative: float32 sums of a few hundred positive terms (~1e-6) with margin.
  for (const activation of ['linear', 'relu'] as const) {
    it(`conserves synaptic flow on a ${activation} dense chain: every layer's scores sum to R`, () => {
      const units = [7, 9, 6, 4];
      const { model, prunable } = denseChain(units, { seed: 1, activation, useBias: false });
      const r = synapticFlowByHand(weightValues(prunable), units);
      const scores = synflowScores(model, prunable);
      for (const p of prunable) {
        const s = scores.get(p.name)!;
        expect(s.every((v) => v >= 0)).toBe(true);
        expect(Math.abs(sum(s) - r)).toBeLessThanOrEqual(1e-4 * r);
      }
    });
  }

  it('restores every original weight bitwise, also those of a batch norm, after scoring and after pruning', () => {
    const net = tinyConvNet({ seed: 2, activation: 'relu', batchNorm: true });
    const bn = net.model.getLayer('bn1');
    // gamma, beta, moving mean, moving variance: beta and the mean negative somewhere, the variance positive.
    bn.setWeights(bn.getWeights().map((w, i) => tf.abs(tf.add(w, tf.randomNormal(w.shape, i === 3 ? 1 : 0, 0.5, 'float32', i + 1)))));
    bn.setWeights(bn.getWeights().map((w, i) => (i === 1 || i === 2 ? tf.sub(w, 0.4) : w)));
    const before = allWeightValues(net.model);
    synflowScores(net.model, net.prunable);
    expect(allWeightValues(net.model)).toEqual(before);
    synflowMask(net.model, net.prunable, 0.8, 10);
    expect(allWeightValues(net.model)).toEqual(before);
  });

  it('keeps exactly k, globally and layerwise; one iteration is the single-shot top k', async () => {
    const { model, prunable } = denseChain([10, 12, 8, 5], { seed: 3, activation: 'relu' });
    const n = 10 * 12 + 12 * 8 + 8 * 5;
    for (const sparsity of [0.5, 0.9, 0.98]) {
      const mask = await synflow.prune({ model, prunable, sparsity, seed: 0, selection: {}, options: {} });
      expect(mask.count()).toBe(keptCount(n, sparsity));
      const layerwise = await synflow.prune({ model, prunable, sparsity, seed: 0, selection: { layerwise: true }, options: { iterations: 20 } });
      expect(layerwise.count()).toBe(keptCount(n, sparsity));
    }
    const single = synflowScores(model, prunable);
    const oneShot = synflowMask(model, prunable, 0.7, 1);
    expect(oneShot.equals(selectTopK(prunable, prunable.map((p) => single.get(p.name)!), keptCount(n, 0.7)))).toBe(true);
    const iterative = synflowMask(model, prunable, 0.7, 100);
    expect(iterative.count()).toBe(keptCount(n, 0.7));
    expect(iterative.equals(oneShot)).toBe(false); // the iterations re-rank as the network thins
  });

  it('says so when R overflows float32', () => {
    const { model, prunable } = denseChain([8, 8, 8, 8, 8, 8], { seed: 4, activation: 'linear', scale: 1e9 });
    expect(() => synflowScores(model, prunable)).toThrow(/synflow: R = Infinity \(the \|theta\| network's output overflows float32/);
  });
});

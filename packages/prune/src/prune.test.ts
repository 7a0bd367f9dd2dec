import * as tf from '@tensorflow/tfjs-core';

import { sizeOfShape } from './mask';
import { prune, type PruneRequest } from './prune';
import { sparsityReport } from './report';
import { keptCount } from './select';
import { METHOD_NAMES } from './strategies';
import { denseChain, randomBatches, setWeights, tinyConvNet, useKdltsBackend, weightValues, type TinyNet } from './testing/tiny';

describe('prune', () => {
  let net: TinyNet;
  let n: number;
  beforeAll(async () => {
    await useKdltsBackend();
    net = tinyConvNet({ seed: 1, activation: 'relu', inputShape: [6, 6, 2], classes: 3 });
    n = net.prunable.reduce((a, p) => a + sizeOfShape(p.shape), 0);
  });
  const data = randomBatches(2, 8, [6, 6, 2], 3, 7);
  const request = (method: string, extra: Partial<PruneRequest> = {}): PruneRequest => ({
    method, ...net, sparsity: 0.9, seed: 3, data, options: { iterations: 20 }, ...extra,
  });

  it('every method keeps exactly k = round((1 - s) n), globally and layerwise', async () => {
    for (const method of METHOD_NAMES) {
      for (const sparsity of [0.5, 0.9, 0.99]) {
        for (const layerwise of [false, true]) {
          const { mask, report, seconds } = await prune(request(method, { sparsity, layerwise }));
          expect(mask.count()).toBe(keptCount(n, sparsity));
          expect(report).toEqual(sparsityReport(mask));
          expect(seconds).toBeGreaterThanOrEqual(0);
          mask.checkMatches(net.prunable);
        }
      }
    }
  });

  it('is deterministic: the same seed gives the same mask for every method', async () => {
    for (const method of METHOD_NAMES) {
      const a = await prune(request(method));
      const b = await prune(request(method));
      expect(b.mask.equals(a.mask)).toBe(true);
    }
  });

  it('leaves the weights as they were (it chooses a mask, it does not apply it) and leaks no tensors', async () => {
    const before = weightValues(net.prunable);
    for (const method of METHOD_NAMES) {
      await prune(request(method));
      const tensors = tf.memory().numTensors;
      await prune(request(method));
      expect(tf.memory().numTensors).toBe(tensors);
    }
    expect(weightValues(net.prunable)).toEqual(before);
  });

  it('refuses a sparsity outside (0, 1), naming it and the value', async () => {
    for (const sparsity of [0, 1, -0.1, 1.5, NaN]) {
      await expect(prune(request('magnitude', { sparsity }))).rejects.toThrow(
        `sparsity must be a finite number with 0 < sparsity < 1, got ${sparsity}`,
      );
    }
  });

  it('refuses an unknown method, listing the known ones', async () => {
    await expect(prune(request('lottery'))).rejects.toThrow("unknown method 'lottery' (known: magnitude, random, random-erk, snip, grasp, synflow)");
  });

  it('refuses prunable weights that are not the model\'s, or claim another shape', async () => {
    const other = denseChain([4, 3], { seed: 2 });
    await expect(prune(request('magnitude', { prunable: other.prunable }))).rejects.toThrow(
      /prunable weight 'fc1\/kernel' \(variable '.*'\) is not a weight of model/,
    );
    const wrong = net.prunable.map((p, i) => (i === 0 ? { ...p, shape: [9, 2, 4] } : p));
    await expect(prune(request('magnitude', { prunable: wrong }))).rejects.toThrow(
      "prunable weight 'conv1/kernel' claims shape [9, 2, 4], its variable has [3, 3, 2, 4]",
    );
    await expect(prune(request('magnitude', { prunable: [net.prunable[0], net.prunable[0]] }))).rejects.toThrow("'conv1/kernel' is listed twice");
    await expect(prune(request('magnitude', { prunable: [] }))).rejects.toThrow('no prunable weights given');
  });

  it('asks for data when a data-driven method has none, and checks seed and minPerLayer', async () => {
    await expect(prune(request('snip', { data: undefined }))).rejects.toThrow("method 'snip' needs data");
    await expect(prune(request('grasp', { data: undefined }))).rejects.toThrow("method 'grasp' needs data");
    await expect(prune(request('random', { seed: 1.5 }))).rejects.toThrow('seed must be an integer, got 1.5');
    await expect(prune(request('random', { minPerLayer: 0.5 }))).rejects.toThrow('minPerLayer must be a non-negative integer');
  });

  it('reports layer collapse, and minPerLayer prevents it while keeping exactly k', async () => {
    const chain = denseChain([16, 16, 16, 4], { seed: 5 });
    const w = weightValues(chain.prunable);
    w[1] = w[1].map((x) => x * 1e-3); // fc2's weights are all smaller than any other layer's
    setWeights(chain.prunable, w);
    const total = 16 * 16 * 2 + 16 * 4;
    const collapsed = await prune({ method: 'magnitude', ...chain, sparsity: 0.9, seed: 0 });
    expect(collapsed.report.collapsed).toEqual(['fc2/kernel']);
    const guarded = await prune({ method: 'magnitude', ...chain, sparsity: 0.9, seed: 0, minPerLayer: 5 });
    expect(guarded.report.collapsed).toEqual([]);
    expect(guarded.mask.count()).toBe(keptCount(total, 0.9));
    expect(guarded.report.layers.map((l) => l.kept >= 5)).toEqual([true, true, true]);
  });
});

import { keptCount } from '../select';
import { denseChain, setWeights, tinyConvNet, topkIndices, useKdltsBackend, weightValues } from '../testing/tiny';
import { magnitude } from './magnitude';

describe('magnitude', () => {
  beforeAll(useKdltsBackend);

  it('keeps the k largest |w| over all layers (as a sort finds them), at the weights the model holds', async () => {
    const { model, prunable } = tinyConvNet({ seed: 1 });
    const context = { model, prunable, sparsity: 0.85, seed: 0, selection: {}, options: {} };
    for (const step of ['init', 'trained'] as const) {
      if (step === 'trained') setWeights(prunable, weightValues(prunable).map((w) => w.map((x, j) => x * (1 + Math.sin(j)))));
      const w = Float64Array.from(weightValues(prunable).flatMap((a) => [...a]));
      const k = keptCount(w.length, 0.85);
      const expected = topkIndices(w.map(Math.abs), k);
      const mask = await magnitude.prune(context);
      expect(mask.count()).toBe(k);
      expect([...mask.flat()]).toEqual(Array.from(w, (_, i) => (expected.has(i) ? 1 : 0)));
    }
  });

  it('layerwise: each layer keeps its own largest, the shares summing to k', async () => {
    const { model, prunable } = denseChain([20, 10, 4], { seed: 2 });
    const mask = await magnitude.prune({ model, prunable, sparsity: 0.6, seed: 0, selection: { layerwise: true }, options: {} });
    expect(mask.count()).toBe(keptCount(240, 0.6));
    const w = weightValues(prunable);
    mask.layers.forEach((l, i) => {
      const kept = l.bits.reduce((a, b) => a + b, 0);
      expect(kept).toBe(Math.round(0.4 * w[i].length));
      const expected = topkIndices(w[i].map(Math.abs), kept);
      l.bits.forEach((b, j) => expect(b).toBe(expected.has(j) ? 1 : 0));
    });
  });
});

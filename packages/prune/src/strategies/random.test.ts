import { keptCount } from '../select';
import { denseChain, useKdltsBackend, type TinyNet } from '../testing/tiny';
import { random } from './random';

describe('random (uniform)', () => {
  let net: TinyNet;
  beforeAll(async () => {
    await useKdltsBackend();
    net = denseChain([64, 48, 32, 10], { seed: 1 });
  });
  const n = 64 * 48 + 48 * 32 + 32 * 10;
  const context = (seed: number, layerwise = false) => ({ ...net, sparsity: 0.75, seed, selection: { layerwise }, options: {} });

  it('keeps exactly k; the same seed gives the same mask, another seed another', async () => {
    const a = await random.prune(context(1));
    expect(a.count()).toBe(keptCount(n, 0.75));
    expect((await random.prune(context(1))).equals(a)).toBe(true);
    const b = await random.prune(context(2));
    expect(b.equals(a)).toBe(false);
    // Two independent uniform subsets of density d overlap on ~d^2 n weights (sd ~ 25 here).
    const overlap = a.and(b).count();
    expect(Math.abs(overlap - 0.25 * 0.25 * n)).toBeLessThan(150);
  });

  it('global: every layer near the global density; layerwise: every layer at it up to rounding', async () => {
    const global = await random.prune(context(3));
    for (const [name, density] of global.layerDensities()) {
      const size = global.layer(name)!.bits.length;
      // Hypergeometric: sd <= sqrt(d (1 - d) / size) <= 0.07 for the smallest layer (320); 5 sd.
      expect(Math.abs(density - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / size));
    }
    const layerwise = await random.prune(context(3, true));
    expect(layerwise.count()).toBe(keptCount(n, 0.75));
    for (const l of layerwise.layers) expect(l.bits.reduce((a, b) => a + b, 0)).toBe(0.25 * l.bits.length);
  });
});

import { Mask, sizeOfShape, type LayerLayout } from '../mask';
import { keptCount } from '../select';
import { tinyConvNet, useKdltsBackend } from '../testing/tiny';
import { erkQuotas, randomErk } from './random_erk';

/**
 * ERK as Evci et al.'s code computes it, in float64: density_l = eps * sum(shape_l) / prod(shape_l);
 * eps from the budget; layers whose density would exceed 1 are dense and eps is recomputed.
 */
function erkByHand(layout: LayerLayout[], k: number): number[] {
  const dense = new Set<number>();
  for (;;) {
    let budget = k;
    let raw = 0;
    layout.forEach((l, i) => {
      if (dense.has(i)) budget -= sizeOfShape(l.shape);
      else raw += l.shape.reduce((a, b) => a + b, 0); // density_l * size_l = eps * sum(shape_l)
    });
    const eps = budget / raw;
    const over = layout.findIndex((l, i) => !dense.has(i) && (eps * l.shape.reduce((a, b) => a + b, 0)) / sizeOfShape(l.shape) > 1);
    if (over < 0) return layout.map((l, i) => (dense.has(i) ? sizeOfShape(l.shape) : eps * l.shape.reduce((a, b) => a + b, 0)));
    layout.forEach((l, i) => {
      if ((eps * l.shape.reduce((a, b) => a + b, 0)) / sizeOfShape(l.shape) > 1) dense.add(i);
    });
  }
}

const LAYOUT: LayerLayout[] = [
  { name: 'conv1/kernel', shape: [3, 3, 3, 16] },
  { name: 'conv2/kernel', shape: [3, 3, 16, 32] },
  { name: 'conv3/kernel', shape: [3, 3, 32, 64] },
  { name: 'fc1/kernel', shape: [1024, 128] },
  { name: 'logits/kernel', shape: [128, 10] },
];
const N = LAYOUT.reduce((a, l) => a + sizeOfShape(l.shape), 0);

describe('random-erk', () => {
  beforeAll(useKdltsBackend);

  it('gives each layer its ERK share (within one weight of the float64 formula), exactly k in all', () => {
    for (const sparsity of [0.5, 0.8, 0.9, 0.98]) {
      const k = keptCount(N, sparsity);
      const quotas = erkQuotas(LAYOUT, k);
      const expected = erkByHand(LAYOUT, k);
      expect(quotas.reduce((a, b) => a + b, 0)).toBe(k);
      quotas.forEach((q, i) => expect(Math.abs(q - expected[i])).toBeLessThan(1));
    }
    // At 50% the small first conv layer (432 weights) would pass density 1: it stays dense.
    expect(erkQuotas(LAYOUT, keptCount(N, 0.5))[0]).toBe(432);
  });

  it('prunes a model to exactly k with ERK layer counts, seeded, and honours minPerLayer', async () => {
    const { model, prunable } = tinyConvNet({ seed: 1, inputShape: [8, 8, 3], classes: 10 });
    const n = prunable.reduce((a, p) => a + sizeOfShape(p.shape), 0);
    const context = (seed: number, minPerLayer?: number) => ({ model, prunable, sparsity: 0.9, seed, selection: { minPerLayer }, options: {} });
    const mask = await randomErk.prune(context(5));
    expect(mask.count()).toBe(keptCount(n, 0.9));
    const quotas = erkQuotas(prunable, keptCount(n, 0.9));
    mask.layers.forEach((l, i) => expect(l.bits.reduce((a, b) => a + b, 0)).toBe(quotas[i]));
    expect((await randomErk.prune(context(5))).equals(mask)).toBe(true);
    expect((await randomErk.prune(context(6))).equals(mask)).toBe(false);
    const guarded: Mask = await randomErk.prune(context(5, 30)); // conv1's ERK share is 11
    expect(guarded.count()).toBe(keptCount(n, 0.9));
    for (const l of guarded.layers) expect(l.bits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30);
  });
});

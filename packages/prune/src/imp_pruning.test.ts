import { impKeptCounts, impRounds, pruneSurvivors } from './imp_pruning';
import { Mask } from './mask';
import { keptCount } from './select';
import { denseChain, topkIndices, useKdltsBackend, weightValues } from './testing/tiny';

describe('IMP schedule', () => {
  it('R = ceil(log(1-s)/log(1-p)) rounds, exact ratios not rounded up', () => {
    expect(impRounds(0.5, 0.2)).toBe(4); // 0.8^3 = 0.512 > 0.5
    expect(impRounds(0.36, 0.2)).toBe(2); // 0.8^2 = 0.64 exactly
    expect(impRounds(0.2, 0.2)).toBe(1);
    expect(impRounds(0.1, 0.2)).toBe(1);
    expect(impRounds(0.95, 0.2)).toBe(14);
    expect(impRounds(0.9, 0.5)).toBe(4);
  });

  it('keeps round(n (1-p)^r) after round r and exactly round((1-s) n) after the last', () => {
    const n = 266200;
    const counts = impKeptCounts(n, 0.95, 0.2);
    expect(counts).toHaveLength(14);
    counts.slice(0, -1).forEach((c, i) => expect(c).toBe(Math.round(n * 0.8 ** (i + 1))));
    expect(counts.at(-1)).toBe(keptCount(n, 0.95));
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]);
  });

  it('refuses a sparsity or prune fraction outside (0, 1)', () => {
    expect(() => impRounds(1, 0.2)).toThrow('sparsity must be a finite number with 0 < sparsity < 1, got 1');
    expect(() => impRounds(NaN, 0.2)).toThrow('got NaN');
    expect(() => impRounds(0.9, 0)).toThrow('pruneFraction must be a finite number with 0 < pruneFraction < 1, got 0');
    expect(() => impRounds(0.9, 1)).toThrow('pruneFraction');
  });
});

describe('pruneSurvivors', () => {
  beforeAll(useKdltsBackend);

  it('keeps the k largest |w| among the survivors (global), never a pruned weight', () => {
    const { prunable } = denseChain([12, 8, 4], { seed: 3 });
    const n = 12 * 8 + 8 * 4;
    const current = Mask.fromFlat(prunable, Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1)));
    const w = weightValues(prunable).flatMap((a) => [...a]);
    const scores = w.map((x, i) => (i % 3 === 0 ? -Infinity : Math.abs(x)));
    const k = 40;
    const next = pruneSurvivors(prunable, current, k, {});
    const expected = topkIndices(scores, k);
    expect([...next.flat()]).toEqual(w.map((_, i) => (expected.has(i) ? 1 : 0)));
    expect(next.and(current).count()).toBe(k);
  });

  it('layerwise: every layer keeps its share of k, at most its survivors; minPerLayer holds', () => {
    const { prunable } = denseChain([12, 8, 4], { seed: 4 });
    // fc2 has only 3 survivors left: its proportional share (32/128 of 60 = 15) is capped at 3.
    const bits = [new Uint8Array(96).fill(1), Uint8Array.from({ length: 32 }, (_, i) => (i < 3 ? 1 : 0))];
    const current = new Mask(prunable.map((p, i) => ({ name: p.name, shape: p.shape, bits: bits[i] })));
    const next = pruneSurvivors(prunable, current, 60, { layerwise: true, minPerLayer: 2 });
    expect(next.count()).toBe(60);
    expect(next.and(current).count()).toBe(60);
    const kept = next.layers.map((l) => l.bits.reduce((a, b) => a + b, 0));
    expect(kept).toEqual([57, 3]);
    expect(() => pruneSurvivors(prunable, current, 100, {})).toThrow('cannot keep 100 weights: only 99 survive');
  });
});

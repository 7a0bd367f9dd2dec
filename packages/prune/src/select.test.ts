import { mulberry32 } from '@kdlts/data';

import type { LayerLayout } from './mask';
import { apportion, keptCount, selectBySparsity, selectTopK, validateSparsity } from './select';
import { topkIndices } from './testing/tiny';

const LAYOUT: LayerLayout[] = [
  { name: 'a', shape: [10, 6] },
  { name: 'b', shape: [3] },
  { name: 'c', shape: [4, 5] },
  { name: 'empty', shape: [0] },
  { name: 'd', shape: [37] },
];
const SIZES = [60, 3, 20, 0, 37];
const N = 120;

function randomScores(seed: number, ties = false): Float32Array[] {
  const rng = mulberry32(seed);
  return SIZES.map((s) => Float32Array.from({ length: s }, () => (ties ? rng.int(5) : rng.next() * 2 - 1)));
}

function concat(parts: Float32Array[]): Float32Array {
  return Float32Array.from(parts.flatMap((p) => [...p]));
}

describe('selection', () => {
  it('validates sparsity: a finite number strictly between 0 and 1', () => {
    for (const bad of [0, 1, -0.1, 1.5, NaN, Infinity, -Infinity]) {
      expect(() => validateSparsity(bad)).toThrow(`sparsity must be a finite number with 0 < sparsity < 1, got ${bad}`);
    }
    expect(() => validateSparsity('0.5')).toThrow('got "0.5"');
    expect(validateSparsity(0.9)).toBe(0.9);
    expect(keptCount(1000, 0.9)).toBe(100);
    expect(keptCount(10, 0.95)).toBe(1); // round(0.5) = 1 (half up)
  });

  it('global: exactly the k highest scores (ties keep the lower index), as a sort computes them', () => {
    for (const [seed, ties] of [[1, false], [2, true], [3, true]] as const) {
      const scores = randomScores(seed, ties);
      for (const k of [0, 1, 17, 60, 119, 120]) {
        const mask = selectTopK(LAYOUT, scores, k);
        expect(mask.count()).toBe(k);
        const expected = topkIndices(concat(scores), k);
        expect([...mask.flat()]).toEqual(Array.from({ length: N }, (_, i) => (expected.has(i) ? 1 : 0)));
      }
    }
  });

  it('layerwise: every layer keeps its share of its own best, the shares summing to exactly k', () => {
    const scores = randomScores(4);
    for (const sparsity of [0.1, 0.5, 0.9, 0.99]) {
      const k = keptCount(N, sparsity);
      const mask = selectBySparsity(LAYOUT, scores, sparsity, { layerwise: true });
      expect(mask.count()).toBe(k);
      mask.layers.forEach((l, i) => {
        const kept = l.bits.reduce((a, b) => a + b, 0);
        // Largest-remainder rounding: within one of the exact share.
        expect(Math.abs(kept - (k * SIZES[i]) / N)).toBeLessThan(1);
        const expected = topkIndices(scores[i], kept);
        l.bits.forEach((b, j) => expect(b).toBe(expected.has(j) ? 1 : 0));
      });
    }
  });

  it('minPerLayer: a layer the global ranking would empty keeps its minimum, still exactly k in all', () => {
    const scores = randomScores(5);
    scores[1] = Float32Array.from([-5, -6, -7]); // layer b ranks last
    const plain = selectTopK(LAYOUT, scores, 10);
    expect(plain.layerDensities().get('b')).toBe(0);
    const guarded = selectTopK(LAYOUT, scores, 10, { minPerLayer: 2 });
    expect(guarded.count()).toBe(10);
    for (const l of guarded.layers) expect(l.bits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(Math.min(2, l.bits.length));
    expect([...guarded.layer('b')!.bits]).toEqual([1, 1, 0]); // its two best
    // The rest is the global ranking of what is left.
    const layered = selectTopK(LAYOUT, scores, 10, { minPerLayer: 2, layerwise: true });
    expect(layered.count()).toBe(10);
    for (const l of layered.layers) expect(l.bits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(Math.min(2, l.bits.length));
    expect(() => selectTopK(LAYOUT, scores, 7, { minPerLayer: 2 })).toThrow('minPerLayer 2 keeps 8 weights over 5 layers, more than the 7');
    expect(() => selectTopK(LAYOUT, scores, 10, { minPerLayer: -1 })).toThrow('minPerLayer must be a non-negative integer, got -1');
  });

  it('refuses NaN scores, naming the layer, and score arrays of the wrong length', () => {
    const scores = randomScores(6);
    scores[2][3] = NaN;
    expect(() => selectTopK(LAYOUT, scores, 5)).toThrow("layer 'c' score 3 is NaN");
    expect(() => selectTopK(LAYOUT, randomScores(6).slice(1), 5)).toThrow('4 score arrays for 5 layers');
  });

  it('apportion: integer shares summing to k, proportional to the weights, within floors and sizes', () => {
    expect(apportion(10, [{ size: 10, weight: 1 }, { size: 10, weight: 1 }])).toEqual([5, 5]);
    expect(apportion(5, [{ size: 5, weight: 5 }, { size: 5, weight: 5 }])).toEqual([3, 2]); // tie: the earlier layer
    // A layer whose share exceeds its size stays full; the others share what is left.
    expect(apportion(30, [{ size: 5, weight: 100 }, { size: 100, weight: 10 }, { size: 100, weight: 40 }])).toEqual([5, 5, 20]);
    // Floors are kept; the rest is shared in proportion.
    expect(apportion(20, [{ size: 100, weight: 1, floor: 8 }, { size: 100, weight: 1 }, { size: 100, weight: 2 }])).toEqual([8, 4, 8]);
    expect(() => apportion(3, [{ size: 2, weight: 1, floor: 2 }, { size: 2, weight: 1, floor: 2 }])).toThrow('cannot keep 3 weights');
    const rng = mulberry32(9);
    for (let trial = 0; trial < 50; trial++) {
      const layers = Array.from({ length: 1 + rng.int(8) }, () => ({ size: rng.int(500), weight: rng.next() * 10, floor: rng.int(3) }));
      const most = layers.reduce((a, l) => a + l.size, 0);
      const least = layers.reduce((a, l) => a + Math.min(l.floor, l.size), 0);
      const k = least + rng.int(most - least + 1);
      const q = apportion(k, layers);
      expect(q.reduce((a, b) => a + b, 0)).toBe(k);
      q.forEach((x, i) => {
        expect(x).toBeGreaterThanOrEqual(Math.min(layers[i].floor, layers[i].size));
        expect(x).toBeLessThanOrEqual(layers[i].size);
      });
    }
  });
});

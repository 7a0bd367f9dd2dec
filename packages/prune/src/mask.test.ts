import { mulberry32 } from '@kdlts/data';

import { Mask, type LayerLayout } from './mask';
import { denseChain, useKdltsBackend, weightValues } from './testing/tiny';

function randomMask(layout: readonly LayerLayout[], density: number, seed: number): Mask {
  const rng = mulberry32(seed);
  return new Mask(
    layout.map(({ name, shape }) => ({
      name,
      shape,
      bits: Uint8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() < density ? 1 : 0)),
    })),
  );
}

const LAYOUT: LayerLayout[] = [
  { name: 'a/kernel', shape: [3, 5] },
  { name: 'b/kernel', shape: [7] },
  { name: 'c/kernel', shape: [2, 2, 3, 1] },
];

describe('Mask', () => {
  beforeAll(useKdltsBackend);

  it('counts, densities and sizes', () => {
    const mask = new Mask([
      { name: 'x', shape: [2, 2], bits: Uint8Array.from([1, 0, 1, 1]) },
      { name: 'y', shape: [4], bits: Uint8Array.from([0, 0, 0, 1]) },
      { name: 'empty', shape: [0, 3], bits: new Uint8Array(0) },
    ]);
    expect(mask.size).toBe(8);
    expect(mask.count()).toBe(4);
    expect(mask.density()).toBe(0.5);
    expect([...mask.layerDensities()]).toEqual([['x', 0.75], ['y', 0.25], ['empty', 1]]);
    expect(Mask.ones(LAYOUT).density()).toBe(1);
    expect(Mask.ones(LAYOUT).size).toBe(15 + 7 + 12);
  });

  it('rejects bits that do not fit the shape, values other than 0/1 and repeated names', () => {
    expect(() => new Mask([{ name: 'x', shape: [2, 3], bits: new Uint8Array(5) }])).toThrow("layer 'x' has 5 bits for shape [2, 3] (6 elements)");
    expect(() => new Mask([{ name: 'x', shape: [2], bits: Uint8Array.from([0, 2]) }])).toThrow("layer 'x' element 1 is 2");
    expect(() => new Mask([{ name: 'x', shape: [1], bits: new Uint8Array(1) }, { name: 'x', shape: [1], bits: new Uint8Array(1) }])).toThrow(
      "layer 'x' appears twice",
    );
  });

  it('flat and fromFlat are inverse; toMap gives the bit arrays by name in layer order', () => {
    const mask = randomMask(LAYOUT, 0.4, 11);
    const again = Mask.fromFlat(LAYOUT, mask.flat());
    expect(again.equals(mask)).toBe(true);
    const map = mask.toMap();
    expect([...map.keys()]).toEqual(LAYOUT.map((l) => l.name));
    for (const l of mask.layers) expect(map.get(l.name)).toBe(l.bits);
    expect(() => Mask.fromFlat(LAYOUT, new Uint8Array(3))).toThrow('3 bits for layers holding 34 elements');
  });

  it('and keeps a weight exactly when both masks keep it', () => {
    const a = randomMask(LAYOUT, 0.5, 1);
    const b = randomMask(LAYOUT, 0.7, 2);
    const both = a.and(b);
    const fa = a.flat();
    const fb = b.flat();
    const expected = fa.map((x, i) => (x === 1 && fb[i] === 1 ? 1 : 0));
    expect(both.flat()).toEqual(expected);
    expect(both.count()).toBe(expected.reduce((s, x) => s + x, 0));
    expect(a.and(Mask.ones(LAYOUT)).equals(a)).toBe(true);
  });

  it('and refuses masks over different layers, shapes or orders', () => {
    const a = Mask.ones(LAYOUT);
    expect(() => a.and(Mask.ones(LAYOUT.slice(0, 2)))).toThrow("not in the other mask: 'c/kernel'");
    expect(() => a.and(Mask.ones([...LAYOUT.slice(0, 2), { name: 'c/kernel', shape: [12] }]))).toThrow(
      "layer 'c/kernel': this mask has shape [2, 2, 3, 1], the other mask [12]",
    );
    expect(() => a.and(Mask.ones([LAYOUT[1], LAYOUT[0], LAYOUT[2]]))).toThrow('layer order differs');
  });

  it('checkMatches names missing and extra layers and differing shapes', () => {
    const mask = Mask.ones(LAYOUT);
    expect(() => mask.checkMatches(LAYOUT)).not.toThrow();
    expect(() => mask.checkMatches([LAYOUT[2], LAYOUT[0], LAYOUT[1]])).not.toThrow();
    expect(() => mask.checkMatches([...LAYOUT, { name: 'd/kernel', shape: [1] }])).toThrow("missing from the mask: 'd/kernel'");
    expect(() => mask.checkMatches(LAYOUT.slice(1))).toThrow("not in the model: 'a/kernel'");
    expect(() => mask.checkMatches([{ name: 'a/kernel', shape: [5, 3] }, LAYOUT[1], LAYOUT[2]])).toThrow(
      "layer 'a/kernel': the mask has shape [3, 5], the model [5, 3]",
    );
  });

  it('applyTo zeroes exactly the masked weights and leaves the others bitwise untouched', () => {
    const { prunable } = denseChain([13, 9, 5], { seed: 4 });
    const before = weightValues(prunable);
    const mask = randomMask(prunable, 0.3, 5);
    mask.applyTo(prunable);
    const after = weightValues(prunable);
    prunable.forEach((p, l) => {
      const bits = mask.layer(p.name)!.bits;
      for (let j = 0; j < bits.length; j++) {
        if (bits[j]) expect(Object.is(after[l][j], before[l][j])).toBe(true);
        else expect(Object.is(after[l][j], 0)).toBe(true);
      }
    });
  });

  it('applyTo names the layer that is missing or has another shape', () => {
    const { prunable } = denseChain([4, 3, 2], { seed: 1 });
    const missing = Mask.ones([prunable[0]]);
    expect(() => missing.applyTo(prunable)).toThrow("missing from the mask: 'fc2/kernel'");
    const wrongShape = Mask.ones([prunable[0], { name: 'fc2/kernel', shape: [2, 3] }]);
    expect(() => wrongShape.applyTo(prunable)).toThrow("layer 'fc2/kernel': the mask has shape [2, 3], the model [3, 2]");
  });
});

import { syntheticDataset } from './synthetic';
import { augment } from './augment';
import { batches, channelStats, gather, normalize, numBatches, permutation, shuffle } from './transforms';

const ds = syntheticDataset({ count: 103, shape: [6, 5, 3], seed: 1 });
const per = 6 * 5 * 3;

describe('gather', () => {
  // The IDX reader hands out Buffer-backed images; copies must be plain typed arrays (new Buffer(n) is deprecated).
  test('Buffer-backed images give plain Uint8Array copies with the right samples', () => {
    const buf = Buffer.from(ds.images as Uint8Array);
    const g = gather({ ...ds, images: buf }, [5, 0, 5]);
    expect(g.images.constructor).toBe(Uint8Array);
    expect(Array.from(g.images.subarray(0, per))).toEqual(Array.from(buf.subarray(5 * per, 6 * per)));
    expect(Array.from(g.images.subarray(per, 2 * per))).toEqual(Array.from(buf.subarray(0, per)));
    expect(Array.from(g.labels)).toEqual([ds.labels[5], ds.labels[0], ds.labels[5]]);
    expect(augment(buf, ds.shape, 1).constructor).toBe(Uint8Array);
  });
});

describe('shuffle', () => {
  test('permutation is a permutation, seeded and deterministic', () => {
    const p = permutation(1000, 42);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(permutation(1000, 42))).toEqual(Array.from(p));
    expect(Array.from(permutation(1000, 43))).not.toEqual(Array.from(p));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
  test('shuffled dataset keeps image/label pairs together', () => {
    const s = shuffle(ds, 7);
    const p = permutation(ds.count, 7);
    expect(s.count).toBe(ds.count);
    for (let i = 0; i < ds.count; i++) {
      expect(s.labels[i]).toBe(ds.labels[p[i]]);
      expect(Array.from(s.images.subarray(i * per, (i + 1) * per))).toEqual(Array.from(ds.images.subarray(p[i] * per, (p[i] + 1) * per)));
    }
    expect(Array.from(shuffle(ds, 7).labels)).toEqual(Array.from(s.labels));
  });
});

describe('batching', () => {
  test('last partial batch kept by default, dropped on request', () => {
    expect([...batches(ds, 25)].map((b) => b.size)).toEqual([25, 25, 25, 25, 3]);
    expect([...batches(ds, 25, { dropLast: true })].map((b) => b.size)).toEqual([25, 25, 25, 25]);
    expect(numBatches(103, 25)).toBe(5);
    expect(numBatches(103, 25, true)).toBe(4);
    const all = [...batches(ds, 25)];
    expect(all[4].images.length).toBe(3 * per);
    expect(all[4].labels.length).toBe(3);
    expect(Array.from(all[1].labels)).toEqual(Array.from(ds.labels.subarray(25, 50)));
  });
  test('batches follow a given order', () => {
    const order = permutation(ds.count, 5);
    const b = [...batches(ds, 10, { order })];
    expect(b.length).toBe(11);
    expect(b[0].labels[3]).toBe(ds.labels[order[3]]);
    expect(Array.from(b[2].images.subarray(0, per))).toEqual(Array.from(ds.images.subarray(order[20] * per, (order[20] + 1) * per)));
  });
  test('bad batch size', () => {
    expect(() => [...batches(ds, 0)]).toThrow(/batch size/);
  });
});

describe('normalize', () => {
  test('own stats: per-channel mean 0, std 1, Float32 NHWC', () => {
    const n = normalize(ds);
    expect(n.images).toBeInstanceOf(Float32Array);
    expect(n.images.length).toBe(ds.images.length);
    expect(n.labels).toBe(ds.labels);
    const s = channelStats(n.images, 3);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(s.mean[c])).toBeLessThan(1e-4);
      expect(s.std[c]).toBeCloseTo(1, 4);
    }
  });
  test('given stats are applied as (x/255 - mean)/std', () => {
    const n = normalize(ds, { stats: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] } });
    expect(n.images[0]).toBeCloseTo((ds.images[0] / 255 - 0.5) / 0.25, 5);
    expect(n.images[1]).toBeCloseTo((ds.images[1] / 255 - 0.5) / 0.5, 5);
    expect(() => normalize(ds, { stats: { mean: [0], std: [1] } })).toThrow(/channels/);
  });
});

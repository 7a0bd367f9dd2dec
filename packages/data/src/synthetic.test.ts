import { syntheticDataset } from './synthetic';

test('deterministic for a seed, any shape, labels in range', () => {
  const a = syntheticDataset({ count: 64, shape: [5, 7, 2], numClasses: 4, seed: 9 });
  const b = syntheticDataset({ count: 64, shape: [5, 7, 2], numClasses: 4, seed: 9 });
  expect(a.images.length).toBe(64 * 70);
  expect(a.shape).toEqual([5, 7, 2]);
  expect(Array.from(a.images)).toEqual(Array.from(b.images));
  expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  expect(Math.max(...a.labels)).toBeLessThan(4);
  expect(new Set(a.labels).size).toBe(4);
  expect(Array.from(syntheticDataset({ count: 64, shape: [5, 7, 2], numClasses: 4, seed: 10 }).images)).not.toEqual(Array.from(a.images));
});

test('learnable: nearest class centroid from train classifies test well', () => {
  const opts = { shape: [12, 12, 3] as [number, number, number], numClasses: 10, seed: 4 };
  const train = syntheticDataset({ ...opts, count: 500, sampleSeed: 1 });
  const test = syntheticDataset({ ...opts, count: 200, sampleSeed: 2 });
  const per = 12 * 12 * 3;
  const cent = Array.from({ length: 10 }, () => new Float64Array(per));
  const cnt = new Array(10).fill(0);
  for (let i = 0; i < train.count; i++) {
    cnt[train.labels[i]]++;
    for (let j = 0; j < per; j++) cent[train.labels[i]][j] += train.images[i * per + j];
  }
  cent.forEach((c, k) => c.forEach((v, j) => (c[j] = v / cnt[k])));
  let right = 0;
  for (let i = 0; i < test.count; i++) {
    let best = -1, bestD = Infinity;
    for (let k = 0; k < 10; k++) {
      let d = 0;
      for (let j = 0; j < per; j++) d += (test.images[i * per + j] - cent[k][j]) ** 2;
      if (d < bestD) { bestD = d; best = k; }
    }
    if (best === test.labels[i]) right++;
  }
  expect(right / test.count).toBeGreaterThan(0.9);
});

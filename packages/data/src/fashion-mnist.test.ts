import { existsSync } from 'fs';
import { loadDataset } from './registry';

const SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
const present = existsSync(SYSTEM_DIR);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED real Fashion-MNIST tests: ${SYSTEM_DIR} is absent (apt-get install dataset-fashion-mnist)`);
}

(present ? describe : describe.skip)(`real Fashion-MNIST from ${SYSTEM_DIR}`, () => {
  test.each([['train', 60000], ['test', 10000]] as const)('%s split: %d images, 28x28x1, labels 0..9', (split, n) => {
    // no dataDir, no env: found by the default (Debian) system path
    const ds = loadDataset('fashion-mnist', split, { env: {} });
    expect(ds.count).toBe(n);
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.images.length).toBe(n * 784);
    expect(ds.labels.length).toBe(n);
    const perClass = new Array(10).fill(0);
    for (const l of ds.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(n / 10)); // Fashion-MNIST is balanced
    let max = 0;
    for (let i = 0; i < ds.images.length; i += 97) max = Math.max(max, ds.images[i]);
    expect(max).toBeGreaterThan(200);
  });
});

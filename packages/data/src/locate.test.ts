import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DataError } from './errors';
import { encodeIdx } from './idx';
import { DATA_DIR_ENV, locateDataset } from './locate';
import { loadDataset } from './registry';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'kdlts-locate-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeMnistLike(d: string, split: 'train' | 't10k', n: number) {
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `${split}-images-idx3-ubyte`), encodeIdx([n, 28, 28], new Uint8Array(n * 784)));
  writeFileSync(join(d, `${split}-labels-idx1-ubyte`), encodeIdx([n], new Uint8Array(n)));
}

test('missing data: the error lists every place looked and how to get it', () => {
  const fromEnv = join(dir, 'envdir');
  let err: DataError | undefined;
  try {
    locateDataset('cifar10', 'train', { env: { [DATA_DIR_ENV]: fromEnv }, systemDirs: [join(dir, 'sys')] });
  } catch (e) { err = e as DataError; }
  expect(err).toBeInstanceOf(DataError);
  const m = err!.message;
  for (const d of [fromEnv, join(fromEnv, 'cifar-10-batches-bin'), join(dir, 'sys')]) {
    expect(m).toContain(d);
  }
  expect(m).toContain('https://www.cs.toronto.edu/~kriz/cifar.html');
  expect(m).toContain('cifar-10-binary.tar.gz');
});

test('an explicit dataDir is the only place searched (no silent fallback to other data)', () => {
  const explicit = join(dir, 'nowhere');
  const fromEnv = join(dir, 'envdir');
  let err: DataError | undefined;
  try {
    locateDataset('cifar10', 'train', { dataDir: explicit, env: { [DATA_DIR_ENV]: fromEnv } });
  } catch (e) { err = e as DataError; }
  expect(err!.message).toContain(join(explicit, 'cifar-10-batches-bin'));
  expect(err!.message).not.toContain(fromEnv);
});

test('fashion-mnist error mentions the Debian path and package', () => {
  expect(() => locateDataset('fashion-mnist', 'train', { env: {}, systemDirs: [join(dir, 'sys')] })).toThrow(/apt-get install dataset-fashion-mnist/);
  expect(() => locateDataset('fashion-mnist', 'test', { env: {}, systemDirs: ['/nonexistent/fm'] })).toThrow(
    expect.objectContaining({ message: expect.stringMatching(new RegExp(`/nonexistent/fm[\\s\\S]*${DATA_DIR_ENV} not set`)) }),
  );
});

test('dataDir wins over env; subfolders are found; raw (ungzipped) IDX files load', () => {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  writeMnistLike(join(a, 'mnist'), 't10k', 3);
  writeMnistLike(b, 't10k', 5);
  expect(locateDataset('mnist', 'test', { dataDir: a, env: { [DATA_DIR_ENV]: b }, systemDirs: [] })).toBe(join(a, 'mnist'));
  expect(locateDataset('mnist', 'test', { env: { [DATA_DIR_ENV]: b }, systemDirs: [] })).toBe(b);
  expect(loadDataset('mnist', 'test', { dataDir: a, env: {}, systemDirs: [] }).count).toBe(3);
  // a directory with only the test split does not satisfy train
  expect(() => loadDataset('mnist', 'train', { dataDir: a, env: {}, systemDirs: [] })).toThrow(DataError);
});

test('synthetic via loadDataset: train/test share class patterns but differ in samples', () => {
  const tr = loadDataset('synthetic', 'train', { synthetic: { count: 50, seed: 3 } });
  const te = loadDataset('synthetic', 'test', { synthetic: { count: 50, seed: 3 } });
  expect(tr.count).toBe(50);
  expect(Buffer.compare(tr.images, te.images)).not.toBe(0);
  expect(() => loadDataset('nope' as never, 'train')).toThrow(/unknown dataset/);
});

test('synthetic-cifar10 has CIFAR-10 shapes (sizes 50000 / 10000 unless a count is given)', () => {
  // (the full-size default takes ~10 s under jest: checked with a count, which overrides only the size)
  const small = loadDataset('synthetic-cifar10', 'train', { synthetic: { count: 20 } });
  expect([small.count, small.shape, small.numClasses, small.images.length]).toEqual([20, [32, 32, 3], 10, 20 * 3072]);
  expect(loadDataset('synthetic-cifar10', 'test', { synthetic: { count: 7 } }).count).toBe(7);
});

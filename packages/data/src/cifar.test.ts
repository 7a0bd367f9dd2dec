import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CIFAR_PIXELS, loadCifar, parseCifar } from './cifar';
import { DataError } from './errors';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'kdlts-cifar-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Planar record pixel value for (record r, channel ch, row y, col x): distinct per channel. */
const px = (r: number, ch: number, y: number, x: number) => (r * 7 + ch * 80 + y * 3 + x) % 256;

function records(labelRows: number[][]): Buffer {
  const lb = labelRows[0].length;
  const out = Buffer.alloc(labelRows.length * (lb + CIFAR_PIXELS));
  labelRows.forEach((ls, r) => {
    const at = r * (lb + CIFAR_PIXELS);
    ls.forEach((l, i) => (out[at + i] = l));
    for (let ch = 0; ch < 3; ch++)
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + lb + ch * 1024 + y * 32 + x] = px(r, ch, y, x);
  });
  return out;
}

function expectNhwc(images: Uint8Array, r: number, y: number, x: number, recordInFile = r) {
  const o = r * CIFAR_PIXELS + (y * 32 + x) * 3;
  expect([images[o], images[o + 1], images[o + 2]]).toEqual([0, 1, 2].map((ch) => px(recordInFile, ch, y, x)));
}

describe('CIFAR-10', () => {
  test('batches read back in NHWC with R,G,B order and concatenate', () => {
    const d = join(dir, 'c10');
    mkdirSync(d);
    for (let b = 1; b <= 5; b++) writeFileSync(join(d, `data_batch_${b}.bin`), records([[b], [9 - b]]));
    writeFileSync(join(d, 'test_batch.bin'), records([[3], [4], [5]]));
    const train = loadCifar(d, 10, 'train');
    expect(train.count).toBe(10);
    expect(train.shape).toEqual([32, 32, 3]);
    expect(train.numClasses).toBe(10);
    expect(Array.from(train.labels)).toEqual([1, 8, 2, 7, 3, 6, 4, 5, 5, 4]);
    expectNhwc(train.images, 0, 0, 0);
    expectNhwc(train.images, 3, 17, 5, 1); // second record of batch 2
    const test = loadCifar(d, 10, 'test');
    expect(test.count).toBe(3);
    expectNhwc(test.images, 2, 31, 31);
  });
  test('size not a multiple of the record size', () => {
    const f = join(dir, 'odd.bin');
    expect(() => parseCifar(records([[1]]).subarray(0, 3000), 10, f)).toThrow(
      expect.objectContaining({ name: 'DataError', file: f, message: expect.stringContaining('3073') }),
    );
  });
  test('label out of range', () => {
    expect(() => parseCifar(records([[1], [10]]), 10, 'x.bin')).toThrow(/label 10 in record 1 .*0\.\.9/);
  });
  test('missing files are listed', () => {
    const d = join(dir, 'c10-partial');
    mkdirSync(d);
    writeFileSync(join(d, 'data_batch_1.bin'), records([[0]]));
    let err: DataError | undefined;
    try { loadCifar(d, 10, 'train'); } catch (e) { err = e as DataError; }
    expect(err).toBeInstanceOf(DataError);
    expect(err!.message).toContain('data_batch_5.bin');
    expect(err!.message).toContain(join(d, 'data_batch_2.bin'));
    expect(err!.message).not.toContain(join(d, 'data_batch_1.bin,'));
  });
});

describe('CIFAR-100', () => {
  test('coarse and fine labels, NHWC pixels', () => {
    const d = join(dir, 'c100');
    mkdirSync(d);
    writeFileSync(join(d, 'train.bin'), records([[19, 99], [0, 42], [7, 3]]));
    const ds = loadCifar(d, 100, 'train');
    expect(ds.count).toBe(3);
    expect(ds.numClasses).toBe(100);
    expect(Array.from(ds.labels)).toEqual([99, 42, 3]);
    expect(Array.from(ds.coarseLabels!)).toEqual([19, 0, 7]);
    expectNhwc(ds.images, 1, 10, 20);
  });
  test('label ranges: coarse < 20, fine < 100', () => {
    expect(() => parseCifar(records([[20, 5]]), 100, 'a.bin')).toThrow(/coarse label 20 .*0\.\.19/);
    expect(() => parseCifar(records([[2, 100]]), 100, 'a.bin')).toThrow(/fine label 100 .*0\.\.99/);
  });
  test('a CIFAR-10 file is not a CIFAR-100 file', () => {
    expect(() => parseCifar(records([[1], [2]]), 100, 'b.bin')).toThrow(DataError);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { DataError } from './errors';
import { encodeIdx, loadIdxPair, readIdxImages, readIdxLabels } from './idx';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'kdlts-idx-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 7, H = 5, W = 4;
const pixels = Uint8Array.from({ length: N * H * W }, (_, i) => (i * 37) % 256);
const labels = Uint8Array.from({ length: N }, (_, i) => i % 10);

function write(name: string, data: Uint8Array, gzip = false): string {
  const file = join(dir, name);
  writeFileSync(file, gzip ? gzipSync(data) : data);
  return file;
}

/** Expects fn to throw a DataError naming `file` and matching `pattern`. */
function expectDataError(fn: () => unknown, file: string, pattern: RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(DataError);
  expect((err as DataError).file).toBe(file);
  expect((err as Error).message).toContain(file);
  expect((err as Error).message).toMatch(pattern);
}

describe.each([false, true])('IDX round trip (gzip=%s)', (gzip) => {
  test('images and labels read back', () => {
    const img = write(`img-${gzip}`, encodeIdx([N, H, W], pixels), gzip);
    const lab = write(`lab-${gzip}`, encodeIdx([N], labels), gzip);
    const ds = loadIdxPair(img, lab);
    expect(ds.count).toBe(N);
    expect(ds.shape).toEqual([H, W, 1]);
    expect(ds.numClasses).toBe(10);
    expect(Array.from(ds.images)).toEqual(Array.from(pixels));
    expect(Array.from(ds.labels)).toEqual(Array.from(labels));
  });
});

describe('IDX validation', () => {
  test('bad magic number', () => {
    const f = write('badmagic', encodeIdx([N], labels)); // a labels file where images are expected
    expectDataError(() => readIdxImages(f), f, /magic.*0x00000803.*0x00000801/);
  });
  test('truncated payload', () => {
    const full = encodeIdx([N, H, W], pixels);
    const f = write('trunc', full.subarray(0, full.length - 3), true);
    expectDataError(() => readIdxImages(f), f, new RegExp(`truncated.*${full.length}.*${full.length - 3}`));
  });
  test('truncated header', () => {
    const f = write('trunchdr', encodeIdx([N, H, W], pixels).subarray(0, 9));
    expectDataError(() => readIdxImages(f), f, /truncated IDX header/);
  });
  test('oversized file', () => {
    const full = encodeIdx([N], labels);
    const f = write('over', Buffer.concat([full, Buffer.from([0, 0])]));
    expectDataError(() => readIdxLabels(f), f, new RegExp(`oversized.*${full.length}.*${full.length + 2}`));
  });
  test('label out of range', () => {
    const bad = labels.slice();
    bad[3] = 10;
    const f = write('badlabel', encodeIdx([N], bad));
    expectDataError(() => readIdxLabels(f), f, /label 10 at index 3 .*0\.\.9/);
  });
  test('images/labels count mismatch', () => {
    const img = write('cnt-img', encodeIdx([N, H, W], pixels));
    const lab = write('cnt-lab', encodeIdx([N - 1], labels.subarray(0, N - 1)));
    expectDataError(() => loadIdxPair(img, lab), lab, new RegExp(`${N} images .* ${N - 1} labels`));
  });
  test('gzip garbage', () => {
    const f = write('garbage.gz', Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expectDataError(() => readIdxImages(f), f, /corrupt gzip/);
  });
  test('missing file', () => {
    const f = join(dir, 'nope');
    expectDataError(() => readIdxLabels(f), f, /cannot read/);
  });
});

import { augment, cropFlip } from './augment';
import { syntheticDataset } from './synthetic';
import type { ImageShape } from './types';

const shape: ImageShape = [8, 8, 3];
const per = 8 * 8 * 3;
const ds = syntheticDataset({ count: 20, shape, seed: 2 });
const at = (img: Uint8Array, y: number, x: number, c: number) => img[(y * 8 + x) * 3 + c];

test('keeps shape and type, seeded and deterministic', () => {
  const a = augment(ds.images, shape, 11);
  expect(a).toBeInstanceOf(Uint8Array);
  expect(a.length).toBe(ds.images.length);
  expect(Array.from(augment(ds.images, shape, 11))).toEqual(Array.from(a));
  expect(Array.from(augment(ds.images, shape, 12))).not.toEqual(Array.from(a));
  expect(Array.from(a)).not.toEqual(Array.from(ds.images));
  const f = augment(new Float32Array(ds.images), shape, 11);
  expect(f).toBeInstanceOf(Float32Array);
  expect(Array.from(f)).toEqual(Array.from(a));
});

test('a flip is a mirror; a centred crop without flip is the identity', () => {
  const src = ds.images.subarray(0, per);
  const out = new Uint8Array(per);
  cropFlip(src, 0, out, 0, shape, 4, 4, 4, true);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) for (let c = 0; c < 3; c++) expect(at(out, y, x, c)).toBe(at(src, y, 7 - x, c));
  cropFlip(src, 0, out, 0, shape, 4, 4, 4, false);
  expect(Array.from(out)).toEqual(Array.from(src));
});

test('a shifted crop moves the image and pads with zeros', () => {
  const src = ds.images.subarray(0, per);
  const out = new Uint8Array(per);
  cropFlip(src, 0, out, 0, shape, 4, 1, 6, false); // shift: rows -3, cols +2
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++) {
      const sy = y - 3, sx = x + 2;
      const want = sy < 0 || sx >= 8 ? 0 : at(src, sy, sx, 1);
      expect(at(out, y, x, 1)).toBe(want);
    }
});

test('padding 0 and no flip is the identity', () => {
  expect(Array.from(augment(ds.images, shape, 3, { padding: 0, flip: false }))).toEqual(Array.from(ds.images));
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@kdlts/data';

import { decodeMask, encodeMask, loadMask, MASK_MAGIC, MaskFormatError, saveMask, type MaskHeader } from './format';
import { Mask } from './mask';
import { denseChain, useKdltsBackend, weightValues } from './testing/tiny';

/** A mask of random density per layer; layers named layer0/kernel, ... unless names are given. */
function randomMask(shapes: readonly number[][], seed: number, names = shapes.map((_, i) => `layer${i}/kernel`)): Mask {
  const rng = mulberry32(seed);
  return new Mask(
    shapes.map((shape, i) => {
      const density = rng.next();
      const size = shape.reduce((a, b) => a * b, 1);
      return { name: names[i], shape, bits: Uint8Array.from({ length: size }, () => (rng.next() < density ? 1 : 0)) };
    }),
  );
}

/** The file's parts, as the format describes them (independently of decodeMask). */
function split(bytes: Uint8Array): { header: MaskHeader; bits: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as MaskHeader;
  return { header, bits: bytes.slice(12 + length) };
}

function join(header: unknown, bits: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + json.length + bits.length);
  out.set(MASK_MAGIC);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(bits, 12 + json.length);
  return out;
}

describe('the .kmask format', () => {
  it('round-trips random masks of odd sizes, a 1-element layer and an empty layer, with their meta', () => {
    for (let seed = 0; seed < 20; seed++) {
      const mask = randomMask([[1], [7], [8], [9], [3, 5, 7], [0, 4], [2, 3, 3, 5], [1000 + seed]], seed);
      const meta = { method: 'snip', sparsity: 0.9, model: 'lenet300', seed };
      const decoded = decodeMask(encodeMask(mask, meta));
      expect(decoded.mask.equals(mask)).toBe(true);
      expect(decoded.meta).toEqual(meta);
    }
  });

  it('lays the bits out LSB-first, each layer from a byte boundary, and describes each layer in the header', () => {
    const mask = new Mask([
      { name: 'a', shape: [9], bits: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 1, 1]) },
      { name: 'b', shape: [3], bits: Uint8Array.from([0, 1, 1]) },
    ]);
    const bytes = encodeMask(mask, { note: 'x' });
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x4b, 0x4d, 0x41, 0x53, 0x4b, 0x0d, 0x0a]);
    const { header, bits } = split(bytes);
    expect(header).toEqual({
      format: 'kdlts-mask',
      version: 1,
      layers: [
        { name: 'a', shape: [9], offset: 0, count: 9, ones: 3 },
        { name: 'b', shape: [3], offset: 2, count: 3, ones: 2 },
      ],
      meta: { note: 'x' },
    });
    expect([...bits]).toEqual([0b10000001, 0b00000001, 0b00000110]);
  });

  it('saves atomically (no temp file left) and loads what it saved', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmask-'));
    try {
      const file = path.join(dir, 'sub', 'mask.kmask');
      const mask = randomMask([[5, 3], [17]], 3);
      saveMask(file, mask, { method: 'random' });
      saveMask(file, mask, { method: 'random', again: true }); // overwrite
      expect(fs.readdirSync(path.dirname(file))).toEqual(['mask.kmask']);
      const loaded = loadMask(file);
      expect(loaded.mask.equals(mask)).toBe(true);
      expect(loaded.meta).toEqual({ method: 'random', again: true });
      expect(() => loadMask(path.join(dir, 'absent.kmask'))).toThrow(/absent\.kmask: cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the browser loader and apply snippet in docs/mask-format.md read what encodeMask writes', async () => {
    await useKdltsBackend();
    const doc = fs.readFileSync(path.join(__dirname, '../../../docs/mask-format.md'), 'utf8');
    const [loader, apply] = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    const { model, prunable } = denseChain([9, 7, 3], { seed: 8 });
    const mask = randomMask(prunable.map((p) => p.shape), 20, prunable.map((p) => p.name));
    const bytes = encodeMask(mask, { method: 'random' });
    const fetch = async () => ({ arrayBuffer: async () => bytes.slice().buffer });
    const loadMaskInBrowser = new Function('fetch', `${loader}\nreturn loadMask;`)(fetch);
    const loaded = await loadMaskInBrowser('mask.kmask');
    expect(loaded.meta).toEqual({ method: 'random' });
    for (const l of mask.layers) expect(loaded.layers.get(l.name)).toEqual({ shape: l.shape, bits: l.bits });

    const before = weightValues(prunable);
    await new Function('tf', 'model', 'loadMask', `return (async () => {\n${apply}\n})();`)(tf, model, loadMaskInBrowser);
    const after = weightValues(prunable);
    mask.layers.forEach((l, i) => l.bits.forEach((b, j) => expect(after[i][j]).toBe(b ? before[i][j] : 0)));
  });

  describe('rejects broken files with an error naming the file', () => {
    const mask = randomMask([[10], [4, 4]], 7);
    const good = encodeMask(mask, { method: 'magnitude' });
    const { header, bits } = split(good);
    const decode = (bytes: Uint8Array) => () => decodeMask(bytes, 'runs/x/mask.kmask');

    it('bad magic', () => {
      const bad = good.slice();
      bad[1] = 0x58;
      expect(decode(bad)).toThrow(MaskFormatError);
      expect(decode(bad)).toThrow(/^runs\/x\/mask\.kmask: not a kdlts mask file \(bad magic bytes/);
      expect(decode(new TextEncoder().encode('{"format":"kdlts-mask"}'))).toThrow('bad magic bytes');
    });

    it('truncated anywhere: in the magic, the length, the header or the bits', () => {
      for (const cut of [0, 3, 8, 10, 12, 40, good.length - bits.length, good.length - 1]) {
        expect(decode(good.subarray(0, cut))).toThrow(/^runs\/x\/mask\.kmask: truncated/);
      }
    });

    it('header not JSON, or not UTF-8', () => {
      const notJson = good.slice();
      notJson[12] = '['.charCodeAt(0);
      expect(decode(notJson)).toThrow('header is not valid UTF-8 JSON');
      const notUtf8 = good.slice();
      notUtf8[14] = 0xff;
      expect(decode(notUtf8)).toThrow('header is not valid UTF-8 JSON');
    });

    it('wrong format or version', () => {
      expect(decode(join({ ...header, format: 'other' }, bits))).toThrow(`header.format is "other", expected 'kdlts-mask'`);
      expect(decode(join({ ...header, version: 2 }, bits))).toThrow('unsupported version 2');
    });

    it('count that does not match the shape', () => {
      const layers = header.layers.map((l, i) => (i === 1 ? { ...l, count: 15 } : l));
      expect(decode(join({ ...header, layers }, bits))).toThrow("layer 'layer1/kernel': count 15 does not match shape [4, 4] (16 elements)");
    });

    it('ones that do not match the bits', () => {
      const layers = header.layers.map((l, i) => (i === 0 ? { ...l, ones: l.ones + 1 } : l));
      expect(decode(join({ ...header, layers }, bits))).toThrow(`layer 'layer0/kernel': the header says ${header.layers[0].ones + 1} ones`);
      const flipped = bits.slice();
      flipped[header.layers[1].offset] ^= 1;
      expect(decode(join(header, flipped))).toThrow("layer 'layer1/kernel': the header says");
    });

    it('padding bits set, trailing bytes, overlapping layers', () => {
      const padded = bits.slice();
      padded[1] |= 0x80; // layer0 has 10 elements: bits 2..7 of its second byte are padding
      expect(decode(join(header, padded))).toThrow("layer 'layer0/kernel': padding bits after element 9 are set");
      expect(decode(join(header, Uint8Array.from([...bits, 0])))).toThrow('1 unexpected bytes after the last layer');
      const layers = header.layers.map((l, i) => (i === 1 ? { ...l, offset: 1 } : l));
      expect(decode(join({ ...header, layers }, bits.subarray(0, 3)))).toThrow("layers 'layer0/kernel' and 'layer1/kernel' overlap");
    });
  });
});

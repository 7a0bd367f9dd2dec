import { useBackend } from '@kdlts/backend';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { decodeBundle, encodeBundle, readBundle, writeBundle, type TensorBundle } from './tensor-file';

const bundle = (): TensorBundle =>
  new Map([
    ['a/kernel', { shape: [2, 3], values: Float32Array.from([1, -2, 3.5, NaN, Infinity, -0]) }],
    ['scalar', { shape: [], values: Float32Array.from([7]) }],
    ['empty', { shape: [0, 4], values: new Float32Array(0) }],
  ]);

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

describe('tensor bundle files', () => {
  test('round trip keeps names, shapes, order, values bitwise and meta', async () => {
    const bytes = await encodeBundle(bundle(), { kind: 'x', n: 3 });
    const { meta, tensors } = decodeBundle<{ kind: string; n: number }>(bytes, 'mem');
    expect(meta).toEqual({ kind: 'x', n: 3 });
    expect([...tensors.keys()]).toEqual(['a/kernel', 'scalar', 'empty']);
    for (const [name, t] of bundle()) {
      expect(tensors.get(name)!.shape).toEqual(t.shape);
      expect(Buffer.from(tensors.get(name)!.values.buffer, tensors.get(name)!.values.byteOffset, t.values.byteLength))
        .toEqual(Buffer.from(t.values.buffer));
    }
  });

  test('truncated, padded and foreign files are errors naming the source', async () => {
    const bytes = await encodeBundle(bundle(), {});
    expect(() => decodeBundle(bytes.subarray(0, bytes.length - 4), 'f.kdt')).toThrow(/f\.kdt: .*payload is \d+ bytes.*truncated/);
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes);
    expect(() => decodeBundle(padded, 'f.kdt')).toThrow(/payload/);
    expect(() => decodeBundle(bytes.subarray(0, 20), 'f.kdt')).toThrow(/header of \d+ bytes runs past/);
    expect(() => decodeBundle(new Uint8Array(5), 'f.kdt')).toThrow(/bad magic/);
    const bad = bytes.slice();
    bad[13] = 0x7b; // '{' inside the JSON: breaks it
    bad[12] = 0x5d; // ']'
    expect(() => decodeBundle(bad, 'f.kdt')).toThrow(/header JSON/);
  });

  test('writeBundle writes atomically and readBundle reads it back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-bundle-'));
    const file = path.join(dir, 'sub', 'w.kdt');
    await writeBundle(file, bundle(), { v: 1 });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['w.kdt']); // no temp file left
    expect(readBundle(file).tensors.get('a/kernel')!.values[2]).toBe(3.5);
    fs.rmSync(dir, { recursive: true });
  });
});

// A single-file bundle of named float32 tensors plus a JSON header, written atomically: the
// checkpoint and rewind-snapshot format. The tensor payload is tfjs io's (tf.io.encodeWeights),
// so the specs are tfjs WeightsManifestEntry records.
//   bytes 0..7   "KDLTSTF1"
//   bytes 8..11  header length H (u32 little-endian)
//   bytes 12..   header JSON (UTF-8): { meta, specs }
//   then         the tfjs weight data (specs' order)
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';

import { writeFileAtomic } from './atomic';

const MAGIC = 'KDLTSTF1';

export interface NamedArray {
  shape: number[];
  values: Float32Array;
}

export type TensorBundle = Map<string, NamedArray>;

export async function encodeBundle(tensors: TensorBundle, meta: unknown): Promise<Uint8Array> {
  const named = [...tensors].map(([name, t]) => ({ name, tensor: tf.tensor(t.values, t.shape, 'float32') }));
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    const header = Buffer.from(JSON.stringify({ meta, specs }), 'utf8');
    const out = new Uint8Array(12 + header.length + data.byteLength);
    out.set(Buffer.from(MAGIC, 'latin1'), 0);
    new DataView(out.buffer).setUint32(8, header.length, true);
    out.set(header, 12);
    out.set(new Uint8Array(data), 12 + header.length);
    return out;
  } finally {
    for (const n of named) n.tensor.dispose();
  }
}

export function decodeBundle<M>(bytes: Uint8Array, source: string): { meta: M; tensors: TensorBundle } {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a kdlts tensor file (${why})`);
  };
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC) fail('bad magic');
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + h > bytes.length) fail(`header of ${h} bytes runs past the end of the file (${bytes.length} bytes)`);
  let header: { meta: M; specs: tf.io.WeightsManifestEntry[] };
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + h)).toString('utf8'));
  } catch (error) {
    return fail(`header JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(header.specs)) fail('header has no specs');
  let expected = 0;
  for (const s of header.specs) {
    if (s.dtype !== 'float32' || !Array.isArray(s.shape)) fail(`tensor '${s.name}' is not a float32 tensor`);
    expected += 4 * s.shape.reduce((a, b) => a * b, 1);
  }
  const payload = bytes.length - 12 - h;
  if (payload !== expected) fail(`payload is ${payload} bytes, the header describes ${expected} (truncated?)`);
  const data = new Uint8Array(bytes.subarray(12 + h)).buffer; // a copy: Buffer.slice would be a view of a pooled buffer
  const tensors: TensorBundle = new Map();
  let offset = 0;
  for (const s of header.specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    tensors.set(s.name, { shape: s.shape.slice(), values: new Float32Array(data, offset, n) });
    offset += 4 * n;
  }
  return { meta: header.meta, tensors };
}

export async function writeBundle(file: string, tensors: TensorBundle, meta: unknown): Promise<void> {
  writeFileAtomic(file, await encodeBundle(tensors, meta));
}

export function readBundle<M>(file: string): { meta: M; tensors: TensorBundle } {
  return decodeBundle<M>(fs.readFileSync(file), file);
}

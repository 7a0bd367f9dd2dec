// The portable mask file (`.kmask`, docs/mask-format.md): magic bytes, a u32 little-endian header
// length, a UTF-8 JSON header, then each layer's bits packed LSB-first, every layer starting at a
// byte boundary. encodeMask / decodeMask are pure (Uint8Array in and out, no Node APIs) so a
// browser app can use them; saveMask / loadMask add the file system (atomic write).
import * as fs from 'fs';
import { writeFileAtomic } from '@kdlts/train';

import { countOnes, formatShape, Mask, sizeOfShape, type MaskLayer } from './mask';

/** 0x89 'K' 'M' 'A' 'S' 'K' '\r' '\n': a high byte and a CRLF, as in PNG, catch 7-bit and text-mode mangling. */
export const MASK_MAGIC = new Uint8Array([0x89, 0x4b, 0x4d, 0x41, 0x53, 0x4b, 0x0d, 0x0a]);
export const MASK_FORMAT = 'kdlts-mask';
export const MASK_FORMAT_VERSION = 1;
export const MASK_FILE_EXTENSION = '.kmask';

/** Free-form facts about how the mask was made (method, sparsity, model, seed, ...); JSON values only. */
export type MaskMeta = Record<string, unknown>;

export interface MaskHeaderLayer {
  name: string;
  shape: number[];
  /** Byte offset of the layer's bits from the start of the bit section. */
  offset: number;
  /** Number of elements (the product of shape). */
  count: number;
  /** Number of kept elements (a checksum of sorts). */
  ones: number;
}

export interface MaskHeader {
  format: typeof MASK_FORMAT;
  version: typeof MASK_FORMAT_VERSION;
  layers: MaskHeaderLayer[];
  meta: MaskMeta;
}

export interface DecodedMask {
  mask: Mask;
  meta: MaskMeta;
}

/** A .kmask that cannot be read; the message names the file (or '<bytes>'). */
export class MaskFormatError extends Error {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'MaskFormatError';
  }
}

const PREFIX_BYTES = MASK_MAGIC.length + 4;

export function encodeMask(mask: Mask, meta: MaskMeta = {}): Uint8Array {
  let offset = 0;
  const layers: MaskHeaderLayer[] = mask.layers.map((l) => {
    const entry = { name: l.name, shape: [...l.shape], offset, count: l.bits.length, ones: countOnes(l.bits) };
    offset += Math.ceil(l.bits.length / 8);
    return entry;
  });
  const header: MaskHeader = { format: MASK_FORMAT, version: MASK_FORMAT_VERSION, layers, meta };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX_BYTES + json.length + offset);
  out.set(MASK_MAGIC, 0);
  new DataView(out.buffer).setUint32(MASK_MAGIC.length, json.length, true);
  out.set(json, PREFIX_BYTES);
  const data = out.subarray(PREFIX_BYTES + json.length);
  mask.layers.forEach((l, i) => packBits(l.bits, data, layers[i].offset));
  return out;
}

/** Parses and validates a .kmask; `source` (a file name) prefixes every error. */
export function decodeMask(bytes: Uint8Array, source = '<bytes>'): DecodedMask {
  const fail = (message: string): never => {
    throw new MaskFormatError(source, message);
  };
  const magicLength = Math.min(bytes.length, MASK_MAGIC.length);
  if (!MASK_MAGIC.subarray(0, magicLength).every((b, i) => b === bytes[i])) {
    fail(`not a kdlts mask file (bad magic bytes: expected ${hex(MASK_MAGIC)}, got ${hex(bytes.subarray(0, magicLength))})`);
  }
  if (bytes.length < PREFIX_BYTES) fail(`truncated: ${bytes.length} bytes, shorter than the ${PREFIX_BYTES}-byte prefix`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MASK_MAGIC.length, true);
  if (PREFIX_BYTES + headerLength > bytes.length) {
    fail(`truncated: the header claims ${headerLength} bytes but only ${bytes.length - PREFIX_BYTES} follow the prefix`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  const { layers, meta } = validateHeader(header, fail);
  const data = bytes.subarray(PREFIX_BYTES + headerLength);
  const expectedBytes = layers.reduce((end, l) => Math.max(end, l.offset + Math.ceil(l.count / 8)), 0);
  if (data.length < expectedBytes) fail(`truncated: the layers need ${expectedBytes} bytes of bits, the file has ${data.length}`);
  if (data.length > expectedBytes) fail(`${data.length - expectedBytes} unexpected bytes after the last layer's bits`);
  const maskLayers: MaskLayer[] = layers.map((l) => {
    const bits = unpackBits(data, l.offset, l.count);
    const ones = countOnes(bits);
    if (ones !== l.ones) fail(`layer '${l.name}': the header says ${l.ones} ones, the bits hold ${ones}`);
    const lastByte = l.count % 8 === 0 ? 0 : data[l.offset + Math.floor(l.count / 8)] >> l.count % 8;
    if (lastByte !== 0) fail(`layer '${l.name}': padding bits after element ${l.count - 1} are set`);
    return { name: l.name, shape: l.shape, bits };
  });
  try {
    return { mask: new Mask(maskLayers), meta };
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** Writes the mask atomically: a temp file in the same directory, then a rename. */
export function saveMask(file: string, mask: Mask, meta: MaskMeta = {}): void {
  writeFileAtomic(file, encodeMask(mask, meta));
}

export function loadMask(file: string): DecodedMask {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new MaskFormatError(file, `cannot read (${(error as Error).message})`);
  }
  return decodeMask(bytes, file);
}

function validateHeader(header: unknown, fail: (message: string) => never): { layers: MaskHeaderLayer[]; meta: MaskMeta } {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!isObject(header)) return fail('header is not a JSON object');
  if (header.format !== MASK_FORMAT) fail(`header.format is ${JSON.stringify(header.format)}, expected '${MASK_FORMAT}'`);
  if (header.version !== MASK_FORMAT_VERSION) {
    fail(`unsupported version ${JSON.stringify(header.version)} (this reader knows version ${MASK_FORMAT_VERSION})`);
  }
  if (!Array.isArray(header.layers)) fail('header.layers is not an array');
  const meta = header.meta === undefined ? {} : header.meta;
  if (!isObject(meta)) return fail('header.meta is not an object');
  const layers = (header.layers as unknown[]).map((entry, i): MaskHeaderLayer => {
    if (!isObject(entry) || typeof entry.name !== 'string') return fail(`header.layers[${i}] has no name`);
    const where = `layer '${entry.name}'`;
    const { shape, offset, count, ones } = entry;
    if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`${where}: shape is not a list of non-negative integers`);
    if (!isCount(offset) || !isCount(count) || !isCount(ones)) return fail(`${where}: offset, count and ones must be non-negative integers`);
    const size = sizeOfShape(shape as number[]);
    if (count !== size) fail(`${where}: count ${count} does not match shape ${formatShape(shape as number[])} (${size} elements)`);
    if (ones > count) fail(`${where}: ${ones} ones in ${count} elements`);
    return { name: entry.name, shape: shape as number[], offset, count, ones };
  });
  // Layers may not share bytes: sorted by offset, each starts at or after the previous one's end.
  const byOffset = [...layers].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    if (byOffset[i].offset < prev.offset + Math.ceil(prev.count / 8)) {
      fail(`layers '${prev.name}' and '${byOffset[i].name}' overlap in the bit section`);
    }
  }
  return { layers, meta };
}

function packBits(bits: Uint8Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[offset + (i >> 3)] |= 1 << (i & 7);
}

function unpackBits(data: Uint8Array, offset: number, count: number): Uint8Array {
  const bits = new Uint8Array(count);
  for (let i = 0; i < count; i++) bits[i] = (data[offset + (i >> 3)] >> (i & 7)) & 1;
  return bits;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ') || '(nothing)';
}

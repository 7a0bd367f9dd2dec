// IDX files (MNIST, Fashion-MNIST): big-endian magic 0x000008NN (NN = number of dims, type 0x08 =
// unsigned byte), then one big-endian uint32 per dim, then the bytes. Gzip or raw.
import { readDataFile } from './bytes';
import { DataError } from './errors';
import type { Dataset } from './types';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');

/** Parses an IDX buffer, checking the magic against `expectedMagic` and the exact byte length. */
export function parseIdx(buf: Uint8Array, expectedMagic: number, file: string): IdxArray {
  if (buf.length < 4) throw new DataError(`too short for an IDX header: ${buf.length} bytes`, file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    throw new DataError(`bad IDX magic number: expected ${hex(expectedMagic)}, found ${hex(magic)}`, file);
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    throw new DataError(`truncated IDX header: expected ${headerBytes} bytes, found ${buf.length}`, file);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const payload = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + payload;
  if (buf.length !== expected) {
    const what = buf.length < expected ? 'truncated' : 'oversized';
    throw new DataError(
      `${what} IDX file: dims [${dims.join(', ')}] need ${expected} bytes, found ${buf.length}`,
      file,
    );
  }
  // Copy so the result does not pin (or alias) the decompression buffer.
  return { dims, data: Uint8Array.prototype.slice.call(buf, headerBytes, expected) as Uint8Array };
}

/** Images file: [count, h, w] bytes. */
export function readIdxImages(file: string): { count: number; height: number; width: number; data: Uint8Array } {
  const { dims, data } = parseIdx(readDataFile(file), IDX_IMAGES_MAGIC, file);
  const [count, height, width] = dims;
  if (height === 0 || width === 0) throw new DataError(`image dims must be positive, found ${height}x${width}`, file);
  return { count, height, width, data };
}

/** Labels file: [count] bytes, each checked to be below numClasses. */
export function readIdxLabels(file: string, numClasses = 10): Uint8Array {
  const { data } = parseIdx(readDataFile(file), IDX_LABELS_MAGIC, file);
  for (let i = 0; i < data.length; i++) {
    if (data[i] >= numClasses) {
      throw new DataError(`label ${data[i]} at index ${i} is out of range 0..${numClasses - 1}`, file);
    }
  }
  return data;
}

/** An images file and its labels file as one single-channel dataset. */
export function loadIdxPair(imagesFile: string, labelsFile: string, numClasses = 10): Dataset<Uint8Array> {
  const images = readIdxImages(imagesFile);
  const labels = readIdxLabels(labelsFile, numClasses);
  if (labels.length !== images.count) {
    throw new DataError(
      `count mismatch: ${images.count} images in ${imagesFile} but ${labels.length} labels in ${labelsFile}`,
      labelsFile,
    );
  }
  return {
    images: images.data,
    labels,
    count: images.count,
    shape: [images.height, images.width, 1],
    numClasses,
  };
}

/** Encodes an IDX buffer (the inverse of parseIdx); used by tests and tools. */
export function encodeIdx(dims: number[], data: Uint8Array): Buffer {
  const ndims = dims.length;
  const out = Buffer.alloc(4 + 4 * ndims + data.length);
  out.writeUInt32BE(0x00000800 | ndims, 0);
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  out.set(data, 4 + 4 * ndims);
  return out;
}

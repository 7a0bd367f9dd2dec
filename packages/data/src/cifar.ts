// CIFAR binary format: fixed-size records of label byte(s) then 3072 pixel bytes, channel-planar
// (1024 R, 1024 G, 1024 B, each 32x32 row-major). Converted here to NHWC.
import { existsSync } from 'fs';
import { join } from 'path';
import { readDataFile } from './bytes';
import { DataError } from './errors';
import type { Dataset, Split } from './types';

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE * 3;

export const CIFAR10_FILES: Record<Split, string[]> = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
};
export const CIFAR100_FILES: Record<Split, string[]> = { train: ['train.bin'], test: ['test.bin'] };

export interface CifarRecords {
  count: number;
  /** NHWC, count * 32 * 32 * 3. */
  images: Uint8Array;
  /** CIFAR-10: the label; CIFAR-100: the fine label. */
  labels: Uint8Array;
  /** CIFAR-100 only. */
  coarseLabels?: Uint8Array;
}

/** Planar CHW (one record's 3072 bytes at `src[from..]`) into interleaved HWC at `dst[to..]`. */
export function planarToNhwc(src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let p = 0; p < plane; p++) {
    dst[to + 3 * p] = src[from + p];
    dst[to + 3 * p + 1] = src[from + plane + p];
    dst[to + 3 * p + 2] = src[from + 2 * plane + p];
  }
}

/**
 * Parses one CIFAR binary file. `variant` 10: 1 label byte (0..9); 100: coarse (0..19) then fine
 * (0..99) label bytes.
 */
export function parseCifar(buf: Uint8Array, variant: 10 | 100, file: string): CifarRecords {
  const labelBytes = variant === 10 ? 1 : 2;
  const recordSize = labelBytes + CIFAR_PIXELS;
  if (buf.length === 0 || buf.length % recordSize !== 0) {
    throw new DataError(
      `size ${buf.length} bytes is not a positive multiple of the CIFAR-${variant} record size ${recordSize}` +
        ` (${Math.floor(buf.length / recordSize)} whole records + ${buf.length % recordSize} stray bytes)`,
      file,
    );
  }
  const count = buf.length / recordSize;
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  const coarseLabels = variant === 100 ? new Uint8Array(count) : undefined;
  for (let r = 0; r < count; r++) {
    const at = r * recordSize;
    if (variant === 10) {
      labels[r] = checkLabel(buf[at], 10, 'label', r, file);
    } else {
      coarseLabels![r] = checkLabel(buf[at], 20, 'coarse label', r, file);
      labels[r] = checkLabel(buf[at + 1], 100, 'fine label', r, file);
    }
    planarToNhwc(buf, at + labelBytes, images, r * CIFAR_PIXELS);
  }
  return { count, images, labels, coarseLabels };
}

function checkLabel(value: number, classes: number, what: string, record: number, file: string): number {
  if (value >= classes) {
    throw new DataError(`${what} ${value} in record ${record} is out of range 0..${classes - 1}`, file);
  }
  return value;
}

/** Reads a split's batch files from `dir` and concatenates them. */
export function loadCifar(dir: string, variant: 10 | 100, split: Split): Dataset<Uint8Array> {
  const names = (variant === 10 ? CIFAR10_FILES : CIFAR100_FILES)[split];
  const paths = names.map((n) => join(dir, n));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new DataError(
      `CIFAR-${variant} ${split} split incomplete in ${dir}: looked for ${names.join(', ')}; missing ${missing.join(', ')}`,
      dir,
    );
  }
  const parts = paths.map((p) => parseCifar(readDataFile(p), variant, p));
  const count = parts.reduce((a, p) => a + p.count, 0);
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  const coarseLabels = variant === 100 ? new Uint8Array(count) : undefined;
  let n = 0;
  for (const p of parts) {
    images.set(p.images, n * CIFAR_PIXELS);
    labels.set(p.labels, n);
    if (coarseLabels && p.coarseLabels) coarseLabels.set(p.coarseLabels, n);
    n += p.count;
  }
  const ds: Dataset<Uint8Array> = { images, labels, count, shape: [CIFAR_SIDE, CIFAR_SIDE, 3], numClasses: variant };
  if (coarseLabels) ds.coarseLabels = coarseLabels;
  return ds;
}

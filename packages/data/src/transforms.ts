// Dataset-level transforms: per-channel normalisation to Float32 NHWC, seeded shuffling, batching.
import { DataError } from './errors';
import { toRng, type Rng } from './prng';
import type { Dataset } from './types';

export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Commonly used statistics (of pixel values scaled to 0..1). */
export const CIFAR10_STATS: ChannelStats = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };
export const CIFAR100_STATS: ChannelStats = { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] };
export const FASHION_MNIST_STATS: ChannelStats = { mean: [0.286], std: [0.353] };
export const MNIST_STATS: ChannelStats = { mean: [0.1307], std: [0.3081] };

/** Default scale: Uint8 pixels are brought to 0..1, Float32 ones are taken as they are. */
const defaultScale = (images: Uint8Array | Float32Array) => (images instanceof Uint8Array ? 1 / 255 : 1);

/** Per-channel mean and (population) std of the NHWC images, after multiplying by `scale`. */
export function channelStats(images: Uint8Array | Float32Array, channels: number, scale = defaultScale(images)): ChannelStats {
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (let i = 0; i < images.length; i++) {
    const v = images[i] * scale;
    sum[i % channels] += v;
    sq[i % channels] += v * v;
  }
  const n = images.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(s / n - mean[c] * mean[c], 0)));
  return { mean, std };
}

/**
 * (x * scale - mean[c]) / std[c] into a new Float32Array, NHWC. Stats default to those of the
 * images themselves (so the result has mean 0, std 1 per channel).
 */
export function normalize<D extends Dataset>(
  ds: D,
  options: { stats?: ChannelStats; scale?: number } = {},
): Omit<D, 'images'> & { images: Float32Array } {
  const c = ds.shape[2];
  const scale = options.scale ?? defaultScale(ds.images);
  const stats = options.stats ?? channelStats(ds.images, c, scale);
  if (stats.mean.length !== c || stats.std.length !== c) {
    throw new DataError(`normalisation stats have ${stats.mean.length}/${stats.std.length} channels, images have ${c}`);
  }
  const out = new Float32Array(ds.images.length);
  const src = ds.images;
  for (let ch = 0; ch < c; ch++) {
    // (x * scale - mean) * inv, with the per-channel constants hoisted out of the pixel loop
    const mean = stats.mean[ch];
    const inv = stats.std[ch] > 0 ? 1 / stats.std[ch] : 1;
    for (let i = ch; i < out.length; i += c) out[i] = (src[i] * scale - mean) * inv;
  }
  return { ...ds, images: out };
}

/** A seeded random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number | Rng): Uint32Array {
  const rng = toRng(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * A zeroed array of the same element type (a plain Uint8Array for Buffer-backed images: the IDX
 * reader's files are Buffers, and `new Buffer(n)` is deprecated).
 */
export function allocLike<P extends Float32Array | Uint8Array>(images: P, length: number): P {
  return (images instanceof Float32Array ? new Float32Array(length) : new Uint8Array(length)) as P;
}

/** Copies the samples at `indices` (in that order) into a new dataset. */
export function gather<D extends Dataset>(ds: D, indices: ArrayLike<number>): D {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const n = indices.length;
  const images = allocLike(ds.images, n * per);
  const labels = new Uint8Array(n);
  const coarse = ds.coarseLabels ? new Uint8Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const k = indices[i];
    images.set(ds.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = ds.labels[k];
    if (coarse) coarse[i] = ds.coarseLabels![k];
  }
  const out = { ...ds, images, labels, count: n };
  if (coarse) out.coarseLabels = coarse;
  return out;
}

/** The dataset in a seeded random order. */
export function shuffle<D extends Dataset>(ds: D, seed: number | Rng): D {
  return gather(ds, permutation(ds.count, seed));
}

export interface Batch<I extends Float32Array | Uint8Array = Float32Array | Uint8Array> {
  /** size * h * w * c, NHWC. */
  images: I;
  labels: Uint8Array;
  size: number;
}

export interface BatchOptions {
  /** Drop the last batch when it is smaller than batchSize (default false: keep it). */
  dropLast?: boolean;
  /** Visit the samples in this order (e.g. a permutation); default 0..count-1 (then batches are views). */
  order?: ArrayLike<number>;
}

export function numBatches(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** Consecutive batches of the dataset. */
export function* batches<D extends Dataset>(ds: D, batchSize: number, options: BatchOptions = {}): Generator<Batch<D['images']>> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(`batch size must be a positive integer, got ${batchSize}`);
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const total = options.order ? options.order.length : ds.count;
  const n = numBatches(total, batchSize, options.dropLast);
  for (let b = 0; b < n; b++) {
    const start = b * batchSize;
    const end = Math.min(start + batchSize, total);
    if (options.order) {
      const idx = Array.from({ length: end - start }, (_, i) => options.order![start + i]);
      const g = gather(ds, idx);
      yield { images: g.images as D['images'], labels: g.labels, size: g.count };
    } else {
      yield {
        images: ds.images.subarray(start * per, end * per) as D['images'],
        labels: ds.labels.subarray(start, end),
        size: end - start,
      };
    }
  }
}

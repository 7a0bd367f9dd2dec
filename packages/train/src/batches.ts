// The training batches of one epoch: a seeded permutation per epoch, optional seeded crop+flip on
// the raw pixels, then per-channel normalisation into Float32 NHWC. Everything depends only on
// (seed, epoch, batch index), so a resumed run sees exactly the batches an uninterrupted one sees.
import { augment, channelStats, gather, normalize, permutation, type ChannelStats, type Dataset } from '@kdlts/data';
import { deriveSeed } from '@kdlts/models';

export interface PreparedBatch {
  images: Float32Array;
  labels: Uint8Array;
  size: number;
}

/** The stats to normalise with: as given, else the split's own for Uint8 images, else none. */
export function resolveStats(ds: Dataset, stats: ChannelStats | undefined): ChannelStats | undefined {
  if (stats) return stats;
  return ds.images instanceof Uint8Array ? channelStats(ds.images, ds.shape[2]) : undefined;
}

export function prepare(ds: Dataset, stats: ChannelStats | undefined): Dataset<Float32Array> {
  if (!stats && ds.images instanceof Float32Array) return ds as Dataset<Float32Array>;
  return normalize(ds, stats ? { stats } : {}) as Dataset<Float32Array>;
}

export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return permutation(count, deriveSeed(seed, 2 * epoch));
}

/**
 * Batch `b` of an epoch, given the epoch's order. Without augmentation, pass the whole split
 * already normalised (`prepare` once) and no stats: a batch is then just a gather.
 */
export function trainBatch(
  ds: Dataset, order: Uint32Array, b: number, batchSize: number,
  options: { seed: number; epoch: number; augment: boolean; stats: ChannelStats | undefined },
): PreparedBatch {
  const start = b * batchSize;
  const end = Math.min(start + batchSize, order.length);
  let batch = gather(ds, order.subarray(start, end));
  if (options.augment) {
    const augSeed = deriveSeed(deriveSeed(options.seed, 2 * options.epoch + 1), b);
    batch = { ...batch, images: augment(batch.images, batch.shape, augSeed) };
  }
  const ready = prepare(batch, options.stats);
  return { images: ready.images, labels: ready.labels, size: ready.count };
}

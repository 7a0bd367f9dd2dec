// Datasets for the commands: the splits of a named dataset with the normalisation statistics
// commonly used for it, shaped for the model that will read them, and a few normalised batches for
// the data-driven pruning strategies.
import {
  batches, DATASET_INFO, gather, loadDataset, normalize, permutation,
  type Batch, type ChannelStats, type Dataset, type DatasetName, type ImageShape,
} from '@kdlts/data';
import { resolveStats, type TrainData } from '@kdlts/train';

export function datasetInput(name: DatasetName): { shape: ImageShape; numClasses: number } {
  return DATASET_INFO[name];
}

/** Whether the standard crop + flip augmentation is on by default (the CIFAR-style datasets). */
export function augmentsByDefault(name: DatasetName): boolean {
  return name === 'cifar10' || name === 'cifar100';
}

export function loadTrainData(name: DatasetName, dataDir: string | undefined): TrainData {
  const train = loadDataset(name, 'train', { dataDir });
  const test = loadDataset(name, 'test', { dataDir });
  // synthetic: its own statistics (the training loop computes them from the train split)
  return { train, test, stats: DATASET_INFO[name].stats };
}

/** The statistics training normalises with: the published ones, else (synthetic) the train split's own. */
export function statsFor(name: DatasetName, train: Dataset): ChannelStats {
  return resolveStats(train, DATASET_INFO[name].stats)!;
}

/**
 * `count` batches of `batchSize` training images in a seeded random order, normalised as training
 * normalises them: what SNIP and GraSP score with.
 */
export function scoringBatches(
  name: DatasetName, dataDir: string | undefined, options: { count: number; batchSize: number; seed: number },
): Batch<Float32Array>[] {
  const train = loadDataset(name, 'train', { dataDir });
  return scoringBatchesOf(train, statsFor(name, train), options);
}

/** scoringBatches over a training split already in memory, normalised with `stats`. */
export function scoringBatchesOf(
  train: Dataset, stats: ChannelStats | undefined, options: { count: number; batchSize: number; seed: number },
): Batch<Float32Array>[] {
  const take = Math.min(train.count, options.count * options.batchSize);
  const subset = gather(train, permutation(train.count, options.seed).subarray(0, take));
  const ready = normalize(subset, stats ? { stats } : {});
  return [...batches(ready, options.batchSize)];
}

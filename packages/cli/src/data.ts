// Datasets for the commands: the splits of a named dataset with the normalisation statistics
// commonly used for it, shaped for the model that will read them, and a few normalised batches for
// the data-driven pruning strategies.
import {
  batches, channelStats, CIFAR10_STATS, CIFAR100_STATS, DATASET_NAMES, FASHION_MNIST_STATS, gather, loadDataset, MNIST_STATS,
  normalize, permutation, type Batch, type ChannelStats, type Dataset, type DatasetName, type ImageShape,
} from '@kdlts/data';
import type { TrainData } from '@kdlts/train';

const STATS: Partial<Record<DatasetName, ChannelStats>> = {
  'fashion-mnist': FASHION_MNIST_STATS,
  mnist: MNIST_STATS,
  cifar10: CIFAR10_STATS,
  cifar100: CIFAR100_STATS,
};

/** Image shape and class count of each dataset, known without reading it (data-free pruning builds the model from them). */
const INPUTS: Record<DatasetName, { shape: ImageShape; numClasses: number }> = {
  'fashion-mnist': { shape: [28, 28, 1], numClasses: 10 },
  mnist: { shape: [28, 28, 1], numClasses: 10 },
  cifar10: { shape: [32, 32, 3], numClasses: 10 },
  cifar100: { shape: [32, 32, 3], numClasses: 100 },
  synthetic: { shape: [28, 28, 1], numClasses: 10 },
  'synthetic-cifar10': { shape: [32, 32, 3], numClasses: 10 },
};

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

export function datasetInput(name: DatasetName): { shape: ImageShape; numClasses: number } {
  return INPUTS[name];
}

/** Whether the standard crop + flip augmentation is on by default (the CIFAR-style datasets). */
export function augmentsByDefault(name: DatasetName): boolean {
  return name === 'cifar10' || name === 'cifar100';
}

export function loadTrainData(name: DatasetName, dataDir: string | undefined): TrainData {
  const train = loadDataset(name, 'train', { dataDir });
  const test = loadDataset(name, 'test', { dataDir });
  // synthetic: its own statistics (the training loop computes them from the train split)
  return { train, test, stats: STATS[name] };
}

/** The statistics training normalises with: the published ones, else (synthetic) the train split's own. */
export function statsFor(name: DatasetName, train: Dataset): ChannelStats {
  return STATS[name] ?? channelStats(train.images, train.shape[2]);
}

/**
 * `count` batches of `batchSize` training images in a seeded random order, normalised as training
 * normalises them: what SNIP and GraSP score with.
 */
export function scoringBatches(
  name: DatasetName, dataDir: string | undefined, options: { count: number; batchSize: number; seed: number },
): Batch<Float32Array>[] {
  const train = loadDataset(name, 'train', { dataDir });
  const take = Math.min(train.count, options.count * options.batchSize);
  const subset = gather(train, permutation(train.count, options.seed).subarray(0, take));
  const ready = normalize(subset, { stats: statsFor(name, train) });
  return [...batches(ready, options.batchSize)];
}

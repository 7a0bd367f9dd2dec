// loadDataset: one entry point over every dataset this package knows.
import { loadCifar } from './cifar';
import { DataError } from './errors';
import { loadIdxPair } from './idx';
import { findFile, IDX_FILES, locateDataset, type LocateOptions } from './locate';
import { syntheticDataset, type SyntheticOptions } from './synthetic';
import { CIFAR10_STATS, CIFAR100_STATS, FASHION_MNIST_STATS, MNIST_STATS, type ChannelStats } from './transforms';
import type { Dataset, DatasetName, ImageShape, Split } from './types';

export const DATASET_NAMES: readonly DatasetName[] = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'synthetic', 'synthetic-cifar10'];

export interface DatasetInfo {
  /** Image height, width, channels. */
  shape: ImageShape;
  numClasses: number;
  /** The per-channel statistics commonly used to normalise it; none for the synthetic sets (use the train split's own). */
  stats?: ChannelStats;
}

/** What is known of each dataset without reading it (data-free pruning builds its model from this). */
export const DATASET_INFO: Readonly<Record<DatasetName, DatasetInfo>> = {
  'fashion-mnist': { shape: [28, 28, 1], numClasses: 10, stats: FASHION_MNIST_STATS },
  mnist: { shape: [28, 28, 1], numClasses: 10, stats: MNIST_STATS },
  cifar10: { shape: [32, 32, 3], numClasses: 10, stats: CIFAR10_STATS },
  cifar100: { shape: [32, 32, 3], numClasses: 100, stats: CIFAR100_STATS },
  synthetic: { shape: [28, 28, 1], numClasses: 10 },
  'synthetic-cifar10': { shape: [32, 32, 3], numClasses: 10 },
};

export interface LoadOptions extends LocateOptions {
  /**
   * For the synthetic datasets: generator options. 'synthetic' defaults to 1000 train / 200 test
   * samples of 28x28x1, 'synthetic-cifar10' to CIFAR-10's sizes (50000 / 10000 of 32x32x3);
   * both have 10 classes.
   */
  synthetic?: SyntheticOptions;
}

/** Loads a split as Uint8 NHWC images (0..255) with its labels. Throws DataError. */
export function loadDataset(name: DatasetName, split: Split, options: LoadOptions = {}): Dataset<Uint8Array> {
  if (split !== 'train' && split !== 'test') throw new DataError(`unknown split '${split}' (expected train or test)`);
  switch (name) {
    case 'synthetic':
    case 'synthetic-cifar10': {
      const s = options.synthetic ?? {};
      const seed = s.seed ?? 0;
      const cifar = name === 'synthetic-cifar10';
      return syntheticDataset({
        count: cifar ? (split === 'train' ? 50000 : 10000) : split === 'train' ? 1000 : 200,
        ...(cifar ? { shape: [32, 32, 3] as [number, number, number] } : {}),
        ...s,
        seed,
        sampleSeed: s.sampleSeed ?? (seed * 2 + (split === 'train' ? 0 : 1)),
      });
    }
    case 'fashion-mnist':
    case 'mnist': {
      const dir = locateDataset(name, split, options);
      const files = IDX_FILES[split];
      return loadIdxPair(findFile(dir, files.images)!, findFile(dir, files.labels)!, 10);
    }
    case 'cifar10':
      return loadCifar(locateDataset(name, split, options), 10, split);
    case 'cifar100':
      return loadCifar(locateDataset(name, split, options), 100, split);
    default:
      throw new DataError(`unknown dataset '${name as string}' (expected one of ${DATASET_NAMES.join(', ')})`);
  }
}

// Datasets for the commands: the splits of a named dataset with the normalisation statistics
// commonly used for it, shaped for the model that will read them.
import {
  CIFAR10_STATS, CIFAR100_STATS, DATASET_NAMES, FASHION_MNIST_STATS, loadDataset, MNIST_STATS,
  type ChannelStats, type DatasetName,
} from '@kdlts/data';
import type { TrainData } from '@kdlts/train';

const STATS: Partial<Record<DatasetName, ChannelStats>> = {
  'fashion-mnist': FASHION_MNIST_STATS,
  mnist: MNIST_STATS,
  cifar10: CIFAR10_STATS,
  cifar100: CIFAR100_STATS,
};

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
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

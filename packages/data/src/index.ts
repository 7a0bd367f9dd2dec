// @kdlts/data: dataset loaders (Fashion-MNIST / MNIST IDX, CIFAR-10/100 binary, synthetic) with
// strict validation, plus seeded shuffling, batching, normalisation and CIFAR augmentation, all on
// plain typed arrays in NHWC layout.
export type { Dataset, DatasetName, ImageShape, Split } from './types';
export { DataError } from './errors';
export { DATASET_INFO, DATASET_NAMES, loadDataset, type DatasetInfo, type LoadOptions } from './registry';
export { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, loadIdxPair, parseIdx, readIdxImages, readIdxLabels, type IdxArray } from './idx';
export { CIFAR10_FILES, CIFAR100_FILES, loadCifar, parseCifar, planarToNhwc, type CifarRecords } from './cifar';
export { candidateDirs, DATA_DIR_ENV, locateDataset, type FileDatasetName, type LocateOptions } from './locate';
export { mulberry32, toRng, type Rng } from './prng';
export {
  batches, channelStats, CIFAR10_STATS, CIFAR100_STATS, FASHION_MNIST_STATS, gather, MNIST_STATS, normalize,
  numBatches, permutation, shuffle, type Batch, type BatchOptions, type ChannelStats,
} from './transforms';
export { augment, cropFlip, type AugmentOptions } from './augment';
export { syntheticDataset, type SyntheticOptions } from './synthetic';

// Where a dataset's files live: an explicit dataDir (authoritative: when given, only it is
// searched, so a typo never silently loads other data), else $KDLTS_DATA_DIR, then the system
// (Debian) location. Each base directory is tried as-is and with the dataset's usual subfolder.
import { existsSync } from 'fs';
import { join } from 'path';
import { CIFAR10_FILES, CIFAR100_FILES } from './cifar';
import { DataError } from './errors';
import type { Split } from './types';

export type FileDatasetName = 'fashion-mnist' | 'mnist' | 'cifar10' | 'cifar100';

export const DATA_DIR_ENV = 'KDLTS_DATA_DIR';

export interface LocateOptions {
  /** Explicit directory (e.g. from --data-dir); searched first. */
  dataDir?: string;
  /** Environment to read KDLTS_DATA_DIR from (default process.env). */
  env?: Record<string, string | undefined>;
  /** System directories to fall back on (default: the dataset's Debian path, if it has one). */
  systemDirs?: string[];
}

export const IDX_FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

interface DatasetPlaces {
  subdirs: string[];
  systemDirs: string[];
  /** File names a directory must hold for the split (IDX names may also carry .gz). */
  files(split: Split): string[];
  howToGet: string;
}

const idxFiles = (split: Split) => [IDX_FILES[split].images, IDX_FILES[split].labels];

export const PLACES: Record<FileDatasetName, DatasetPlaces> = {
  'fashion-mnist': {
    subdirs: ['fashion-mnist', 'fashion_mnist'],
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
    files: idxFiles,
    howToGet:
      'install it with `apt-get install dataset-fashion-mnist` (puts it in /usr/share/datasets/fashion-mnist), ' +
      'or put the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, ' +
      't10k-labels-idx1-ubyte.gz; from https://github.com/zalandoresearch/fashion-mnist) into --data-dir',
  },
  mnist: {
    subdirs: ['mnist'],
    systemDirs: ['/usr/share/datasets/mnist'],
    files: idxFiles,
    howToGet:
      'put the four MNIST IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, ' +
      't10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzipped or raw) into --data-dir or --data-dir/mnist',
  },
  cifar10: {
    subdirs: ['cifar-10-batches-bin', 'cifar10', 'cifar-10'],
    systemDirs: [],
    files: (split) => CIFAR10_FILES[split],
    howToGet:
      'download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and extract it into ' +
      '--data-dir (`tar -xzf cifar-10-binary.tar.gz -C <data-dir>`, which creates cifar-10-batches-bin/)',
  },
  cifar100: {
    subdirs: ['cifar-100-binary', 'cifar100', 'cifar-100'],
    systemDirs: [],
    files: (split) => CIFAR100_FILES[split],
    howToGet:
      'download cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and extract it into ' +
      '--data-dir (`tar -xzf cifar-100-binary.tar.gz -C <data-dir>`, which creates cifar-100-binary/)',
  },
};

/** `dir/name`, or `dir/name.gz`, whichever exists (raw first); undefined when neither does. */
export function findFile(dir: string, name: string): string | undefined {
  for (const candidate of [join(dir, name), join(dir, name + '.gz')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Every directory searched, in order, each paired with where it came from. */
export function candidateDirs(name: FileDatasetName, options: LocateOptions = {}): { dir: string; source: string }[] {
  const places = PLACES[name];
  const env = options.env ?? process.env;
  const out: { dir: string; source: string }[] = [];
  const addBase = (base: string, source: string) => {
    out.push({ dir: base, source });
    for (const sub of places.subdirs) out.push({ dir: join(base, sub), source });
  };
  if (options.dataDir) {
    addBase(options.dataDir, 'dataDir option');
    return out;
  }
  const fromEnv = env[DATA_DIR_ENV];
  if (fromEnv) addBase(fromEnv, `$${DATA_DIR_ENV}`);
  for (const dir of options.systemDirs ?? places.systemDirs) out.push({ dir, source: 'system path' });
  return out;
}

/** The first directory holding all of the split's files; DataError listing every place looked otherwise. */
export function locateDataset(name: FileDatasetName, split: Split, options: LocateOptions = {}): string {
  const places = PLACES[name];
  const needed = places.files(split);
  const candidates = candidateDirs(name, options);
  for (const { dir } of candidates) {
    if (needed.every((f) => findFile(dir, f) !== undefined)) return dir;
  }
  const env = options.env ?? process.env;
  const looked = candidates.map((c) => `  - ${c.dir} (${c.source})`).join('\n');
  const notes = [
    options.dataDir ? '' : '  (no dataDir option given)',
    env[DATA_DIR_ENV] ? '' : `  (${DATA_DIR_ENV} not set)`,
  ].filter(Boolean);
  throw new DataError(
    `${name} ${split} data not found: no directory held ${needed.join(', ')}.\n` +
      `Looked in:\n${looked || '  (nowhere)'}\n${notes.length ? notes.join('\n') + '\n' : ''}` +
      `To get it: ${places.howToGet}; or set ${DATA_DIR_ENV}.`,
    options.dataDir,
  );
}

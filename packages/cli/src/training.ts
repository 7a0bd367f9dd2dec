// What the commands that train share (`kdlts train`, `kdlts imp`): the option definitions, the
// resolution of the settings against the model's preset (the run's identity), the TrainConfig
// they become, and the progress display of a training run.
import { Command, Option } from 'commander';
import { BACKEND_CHOICES } from '@kdlts/backend';
import { DATASET_NAMES, type DatasetName } from '@kdlts/data';
import { MODEL_NAMES } from '@kdlts/models';
import { presetToConfig, progressBarReporter, trainPreset, type EventSink, type TrainConfig, type TrainPreset } from '@kdlts/train';

import { augmentsByDefault } from './data';
import type { CliIo } from './io';
import { fraction, intList, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt } from './options';
import { fixed, percent } from './table';

/** The model and the dataset (every command). */
export interface ModelDataCliOptions {
  model: string;
  dataset: DatasetName;
}

/** Where the run lives and how it shows (not part of a run's identity, except the backend). */
export interface RunCliOptions {
  backend: string;
  dataDir?: string;
  runsDir: string;
  runDir?: string;
  progress?: boolean;
  json?: boolean;
}

/** The training hyperparameters (undefined: the model's preset). */
export interface TrainingCliOptions extends ModelDataCliOptions, RunCliOptions {
  epochs?: number;
  iterations?: number;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  schedule?: TrainPreset['schedule'];
  milestones?: number[];
  gamma?: number;
  warmupEpochs?: number;
  augment?: boolean;
  seed: number;
  modelSeed: number;
  evalEvery: number;
  /** kdlts train only. */
  saveWeightsAt?: number[];
}

export function addModelDataOptions(command: Command, verb: string): Command {
  return command
    .addOption(new Option('--model <name>', `model to ${verb}`).choices(MODEL_NAMES).makeOptionMandatory())
    .addOption(new Option('--dataset <name>', 'dataset (see --data-dir for where it is read)').choices(DATASET_NAMES).default('fashion-mnist'));
}

/** --epochs ... --eval-every, --seed and --model-seed: the options that set how a network trains. */
export function addTrainingOptions(command: Command): Command {
  const preset = (pick: (p: TrainPreset) => unknown) => MODEL_NAMES.map((m) => `${m} ${JSON.stringify(pick(trainPreset(m)))}`).join(', ');
  return command
    .option('--epochs <n>', `training length in epochs (default per model: ${preset((p) => p.epochs)})`, positiveInt)
    .option('--iterations <n>', 'training length in optimizer steps, instead of --epochs', positiveInt)
    .option('--batch-size <n>', `batch size (default per model: ${preset((p) => p.batchSize)})`, positiveInt)
    .option('--lr <x>', `base learning rate (default per model: ${preset((p) => p.lr)})`, nonNegativeNumber)
    .option('--momentum <x>', 'SGD momentum in [0, 1) (default 0.9)', fraction)
    .option('--nesterov', 'Nesterov momentum (default off)')
    .option('--no-nesterov', 'heavy-ball momentum')
    .option('--weight-decay <x>', 'L2 weight decay on every parameter (default 1e-4)', nonNegativeNumber)
    .addOption(new Option('--schedule <type>', `learning-rate schedule (default per model: ${preset((p) => p.schedule)})`).argParser(oneOf(['constant', 'step', 'cosine'])))
    .option('--milestones <epochs>', 'step schedule: comma-separated epochs where the rate is multiplied by --gamma (default for resnet20/vgg16: 80,120)', intList)
    .option('--gamma <x>', 'step schedule factor (default 0.1)', nonNegativeNumber)
    .option('--warmup-epochs <x>', 'linear learning-rate warm-up, in epochs (fractions allowed; default 0)', nonNegativeNumber)
    .option('--augment', 'random crop (4-pixel padding) + horizontal flip (default on for cifar10/cifar100, off otherwise)')
    .option('--no-augment', 'no augmentation')
    .option('--seed <n>', 'data order and augmentation seed', nonNegativeInt, 0)
    .option('--model-seed <n>', 'seed of the initial weights', nonNegativeInt, 0)
    .option('--eval-every <n>', 'evaluate on the test split every n epochs (and after the last)', positiveInt, 1);
}

/** --backend, --data-dir, --runs-dir, --run-dir (for `<runs-dir>/<command>/...`), and, with `display`, --progress and --json. */
export function addRunOptions(command: Command, name: string, runLabel: string, display = { progress: true }): Command {
  command
    .addOption(new Option('--backend <name>', 'tfjs backend: auto = tfjs-node-gpu > tfjs-node > kdlts').choices(BACKEND_CHOICES).default('auto'))
    .option('--data-dir <dir>', 'where the dataset files are (else $KDLTS_DATA_DIR, else Debian\'s /usr/share/datasets/fashion-mnist); not part of the run\'s identity')
    .option('--runs-dir <dir>', 'parent of the run directories (else $KDLTS_RUNS_DIR, else ./runs)', process.env.KDLTS_RUNS_DIR ?? 'runs')
    .option('--run-dir <dir>', `use this run directory instead of <runs-dir>/${name}/${runLabel}-<hash>`);
  if (display.progress) {
    command
      .option('--progress', 'show a progress bar (default: when stderr is a terminal)')
      .option('--no-progress', 'print one line per epoch instead of a progress bar');
  }
  return command.option('--json', 'print the result as JSON instead of a table');
}

/** The settings a run is identified by (everything that changes its result), with defaults filled in. */
export function resolveTrainSettings(o: TrainingCliOptions): { settings: Record<string, unknown>; defaults: Record<string, unknown> } {
  const p = trainPreset(o.model);
  const defaults: Record<string, unknown> = {
    epochs: p.epochs, iterations: undefined, batchSize: p.batchSize, lr: p.lr, momentum: p.momentum, nesterov: p.nesterov,
    weightDecay: p.weightDecay, schedule: p.schedule, milestones: p.milestoneEpochs, gamma: p.gamma, warmupEpochs: p.warmupEpochs,
    augment: augmentsByDefault(o.dataset), seed: 0, modelSeed: 0, evalEvery: 1, saveWeightsAt: [], backend: 'auto',
  };
  const given: Record<string, unknown> = {
    epochs: o.iterations !== undefined ? undefined : o.epochs, iterations: o.iterations, batchSize: o.batchSize, lr: o.lr,
    momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay, schedule: o.schedule, milestones: o.milestones,
    gamma: o.gamma, warmupEpochs: o.warmupEpochs, augment: o.augment, seed: o.seed, modelSeed: o.modelSeed, evalEvery: o.evalEvery,
    saveWeightsAt: o.saveWeightsAt, backend: o.backend,
  };
  const settings: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) settings[k] = v;
  if (o.iterations !== undefined) settings.epochs = undefined;
  return { settings, defaults };
}

/** The resolved settings as the training loop's configuration, for a dataset of `iterationsPerEpoch` batches. */
export function configFrom(settings: Record<string, unknown>, iterationsPerEpoch: number): TrainConfig {
  const s = settings as Record<string, never>;
  const preset: TrainPreset = {
    lr: s.lr, momentum: s.momentum, nesterov: s.nesterov, weightDecay: s.weightDecay, batchSize: s.batchSize, epochs: s.epochs ?? 0,
    schedule: s.schedule, milestoneEpochs: s.milestones, gamma: s.gamma, warmupEpochs: s.warmupEpochs,
  };
  const config = presetToConfig(preset, iterationsPerEpoch);
  if (s.iterations !== undefined) {
    delete config.epochs;
    config.iterations = s.iterations;
  }
  return { ...config, augment: s.augment, seed: s.seed, evalEvery: s.evalEvery };
}

/**
 * How one training run shows: a progress bar (`bar`), or one line per epoch on stderr. `started()`
 * says whether the run trained at all (a finished run found on disk emits no 'start').
 */
export function trainProgress(io: CliIo, bar: boolean, label: string, prefix = ''): { sink: EventSink; started: () => boolean } {
  let started = false;
  const show = bar ? progressBarReporter(process.stderr, label) : undefined;
  const sink: EventSink = (e) => {
    if (e.type === 'start') {
      started = true;
      if (e.resumedFromEpoch > 0) io.err(`${prefix}resuming from the checkpoint after epoch ${e.resumedFromEpoch}\n`);
    }
    if (show && started) show(e);
    else if (!show && e.type === 'epoch') {
      io.err(`${prefix}epoch ${e.epoch}/${e.totalEpochs}: train loss ${fixed(e.trainLoss)}, test acc ${percent(e.testAccuracy)} (${e.trainSeconds.toFixed(1)} s)\n`);
    }
  };
  return { sink, started: () => started };
}

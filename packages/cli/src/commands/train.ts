// `kdlts train`: trains a model (optionally under a mask, once pruning lands) on a dataset with
// the model's preset hyperparameters, any of them overridden by an option; resumable run
// directory named by the hash of the non-default settings.
import * as path from 'path';
import { Command, Option } from 'commander';
import { BACKEND_CHOICES, useBackend } from '@kdlts/backend';
import { DATASET_NAMES, type DatasetName } from '@kdlts/data';
import { buildModel, MODEL_NAMES } from '@kdlts/models';
import {
  isInteractive, presetToConfig, progressBarReporter, train, trainPreset, writeJsonAtomic,
  type TrainConfig, type TrainPreset, type TrainResult,
} from '@kdlts/train';
import { numBatches } from '@kdlts/data';

import { augmentsByDefault, loadTrainData } from '../data';
import { fraction, intList, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt } from '../options';
import { nonDefault, runDirectory } from '../run-dir';
import { fixed, formatTable, percent } from '../table';
import type { CliIo } from '../io';

export interface TrainCliOptions {
  model: string;
  dataset: DatasetName;
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
  saveWeightsAt?: number[];
  backend: string;
  dataDir?: string;
  runsDir: string;
  runDir?: string;
  fresh?: boolean;
  progress?: boolean;
  json?: boolean;
}

/** The settings a run is identified by (everything that changes its result), with defaults filled in. */
export function resolveTrainSettings(o: TrainCliOptions): { settings: Record<string, unknown>; defaults: Record<string, unknown> } {
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

function configFrom(settings: Record<string, unknown>, iterationsPerEpoch: number): TrainConfig {
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

export function summaryTable(r: TrainResult): string {
  const rows = r.history.map((h) => [
    String(h.epoch), String(h.iteration), h.lr.toPrecision(3), fixed(h.trainLoss), percent(h.trainAccuracy),
    fixed(h.testLoss), percent(h.testAccuracy), h.trainSeconds.toFixed(1),
  ]);
  const header = ['epoch', 'iteration', 'lr', 'train loss', 'train acc', 'test loss', 'test acc', 'seconds'];
  return formatTable(header, rows, header.map(() => 'right'));
}

export interface TrainRun {
  result: TrainResult;
  /** The run directory. */
  dir: string;
  /** Every setting of the run, defaults filled in (as in settings.json). */
  settings: Record<string, unknown>;
  /** Those that differ from the defaults (what the directory's hash covers, besides model and dataset). */
  nonDefault: Record<string, unknown>;
}

export async function runTrain(o: TrainCliOptions, io: CliIo): Promise<TrainRun> {
  const { settings, defaults } = resolveTrainSettings(o);
  const changed = nonDefault(settings, defaults);
  const identity = { model: o.model, dataset: o.dataset, ...changed };
  const dir = o.runDir ? path.resolve(o.runDir) : runDirectory(o.runsDir, 'train', `${o.model}-${o.dataset}`, identity);

  const selection = await useBackend({ backend: settings.backend as string });
  const data = loadTrainData(o.dataset, o.dataDir);
  const iterationsPerEpoch = numBatches(data.train.count, settings.batchSize as number);
  const config = configFrom(settings, iterationsPerEpoch);
  writeJsonAtomic(path.join(dir, 'settings.json'), { command: 'train', model: o.model, dataset: o.dataset, settings, nonDefault: changed, backend: selection.name });
  io.err(`kdlts train: ${o.model} on ${o.dataset} (${data.train.count} train / ${data.test?.count ?? 0} test), backend ${selection.name}\nrun directory: ${dir}\n`);

  const model = buildModel(o.model, { seed: settings.modelSeed as number, inputShape: data.train.shape, numClasses: data.train.numClasses });
  const showBar = o.progress ?? isInteractive();
  try {
    let started = false;
    const bar = showBar ? progressBarReporter(process.stderr, o.model) : undefined;
    const result = await train({
      model, data, config, outDir: dir, fresh: o.fresh, saveWeightsAt: settings.saveWeightsAt as number[],
      onEvent: (e) => {
        if (e.type === 'start') {
          started = true;
          if (e.resumedFromEpoch > 0) io.err(`resuming from the checkpoint after epoch ${e.resumedFromEpoch}\n`);
        }
        if (bar && started) bar(e);
        else if (!bar && e.type === 'epoch') {
          io.err(`epoch ${e.epoch}/${e.totalEpochs}: train loss ${fixed(e.trainLoss)}, test acc ${percent(e.testAccuracy)} (${e.trainSeconds.toFixed(1)} s)\n`);
        }
      },
    });
    if (!started) io.err('finished run found: nothing to train (pass --fresh to train again)\n');
    if (o.json) io.out(JSON.stringify(result, null, 2) + '\n');
    else {
      io.out(`${summaryTable(result)}\n`);
      io.out(
        `final test accuracy ${percent(result.finalAccuracy)}, best ${percent(result.bestAccuracy)} (epoch ${result.bestEpoch}); ` +
          `${result.trainSeconds.toFixed(1)} s training at ${Math.round(result.imagesPerSecond)} img/s, ${result.evalSeconds.toFixed(1)} s evaluating\n` +
          `results: ${path.join(dir, 'result.json')}\n`,
      );
    }
    return { result, dir, settings, nonDefault: changed };
  } finally {
    model.dispose();
  }
}

export function trainCommand(io: CliIo): Command {
  const preset = (pick: (p: TrainPreset) => unknown) => MODEL_NAMES.map((m) => `${m} ${JSON.stringify(pick(trainPreset(m)))}`).join(', ');
  return new Command('train')
    .description('Train a model on a dataset (SGD, the model\'s preset hyperparameters unless overridden), resumably, in a run directory')
    .addOption(new Option('--model <name>', 'model to train').choices(MODEL_NAMES).makeOptionMandatory())
    .addOption(new Option('--dataset <name>', 'dataset (see --data-dir for where it is read)').choices(DATASET_NAMES).default('fashion-mnist'))
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
    .option('--eval-every <n>', 'evaluate on the test split every n epochs (and after the last)', positiveInt, 1)
    .option('--save-weights-at <iterations>', 'save the weights at these iterations (0 = init) as weights/iter-N.kdt, e.g. for rewinding', intList)
    .addOption(new Option('--backend <name>', 'tfjs backend: auto = tfjs-node-gpu > tfjs-node > kdlts').choices(BACKEND_CHOICES).default('auto'))
    .option('--data-dir <dir>', 'where the dataset files are (else $KDLTS_DATA_DIR, else Debian\'s /usr/share/datasets/fashion-mnist); not part of the run\'s identity')
    .option('--runs-dir <dir>', 'parent of the run directories (else $KDLTS_RUNS_DIR, else ./runs)', process.env.KDLTS_RUNS_DIR ?? 'runs')
    .option('--run-dir <dir>', 'use this run directory instead of <runs-dir>/train/<model>-<dataset>-<hash>')
    .option('--fresh', 'discard a checkpoint or finished result in the run directory and train from the start')
    .option('--progress', 'show a progress bar (default: when stderr is a terminal)')
    .option('--no-progress', 'print one line per epoch instead of a progress bar')
    .option('--json', 'print the result as JSON instead of a table')
    .addHelpText('after', `
Run directory: <runs-dir>/train/<model>-<dataset>-<hash>, where <hash> covers the settings that
differ from their defaults. Repeating a command finds the same directory: a finished run is
reported without training again, an interrupted one resumes from its last epoch checkpoint.
It holds settings.json, log.jsonl (one JSON object per event), checkpoint.kdt (every epoch),
final.kdt (trained weights), result.json (per-epoch history, final and best accuracy, times).

Examples:
  kdlts train --model lenet300 --dataset fashion-mnist --epochs 10
  kdlts train --model conv4 --epochs 5 --lr 0.02 --schedule cosine
  kdlts train --model resnet20 --dataset cifar10 --data-dir ~/data/cifar-10-batches-bin`)
    .action(async (opts: TrainCliOptions) => {
      await runTrain(opts, io);
    });
}

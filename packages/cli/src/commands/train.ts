// `kdlts train`: trains a model (optionally a ticket: under a .kmask mask) on a dataset with the
// model's preset hyperparameters, any of them overridden by an option; resumable run directory
// named by the hash of the non-default settings (and of the mask file's contents).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { useBackend } from '@kdlts/backend';
import { numBatches } from '@kdlts/data';
import { buildModel, getModelSpec } from '@kdlts/models';
import { decodeMask, type Mask } from '@kdlts/prune';
import { isInteractive, train, writeJsonAtomic, type TrainResult } from '@kdlts/train';

import { loadTrainData } from '../data';
import { intList } from '../options';
import { nonDefault, runDirectory } from '../run-dir';
import { fixed, formatTable, percent } from '../table';
import {
  addModelDataOptions, addRunOptions, addTrainingOptions, configFrom, resolveTrainSettings, trainProgress, type TrainingCliOptions,
} from '../training';
import type { CliIo } from '../io';

export { resolveTrainSettings } from '../training';

export interface TrainCliOptions extends TrainingCliOptions {
  /** A .kmask file: train the ticket (θ0 of --model-seed under this mask). */
  mask?: string;
  fresh?: boolean;
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

/** A mask file's bits and the digest of its bytes (what a run's identity covers: the contents, not the path). */
export function readMaskFile(file: string): { mask: Mask; digest: string } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot read the mask file (${(error as Error).message})`);
  }
  return { mask: decodeMask(bytes, file).mask, digest: createHash('sha256').update(bytes).digest('hex').slice(0, 16) };
}

export async function runTrain(o: TrainCliOptions, io: CliIo): Promise<TrainRun> {
  const { settings, defaults } = resolveTrainSettings(o);
  const ticket = o.mask === undefined ? undefined : readMaskFile(o.mask);
  if (ticket) settings.mask = ticket.digest;
  const changed = nonDefault(settings, defaults);
  const identity = { model: o.model, dataset: o.dataset, ...changed };
  const dir = o.runDir ? path.resolve(o.runDir) : runDirectory(o.runsDir, 'train', `${o.model}-${o.dataset}`, identity);

  const selection = await useBackend({ backend: settings.backend as string });
  const data = loadTrainData(o.dataset, o.dataDir);
  const iterationsPerEpoch = numBatches(data.train.count, settings.batchSize as number);
  const config = configFrom(settings, iterationsPerEpoch);
  const model = buildModel(o.model, { seed: settings.modelSeed as number, inputShape: data.train.shape, numClasses: data.train.numClasses });
  try {
    const prunable = getModelSpec(o.model).prunableWeights(model);
    if (ticket) {
      try {
        ticket.mask.checkMatches(prunable);
      } catch (error) {
        throw new Error(`${o.mask}: ${(error as Error).message} (model ${o.model} on ${o.dataset})`);
      }
    }
    writeJsonAtomic(path.join(dir, 'settings.json'), {
      command: 'train', model: o.model, dataset: o.dataset, settings, nonDefault: changed, backend: selection.name,
      ...(o.mask ? { maskFile: path.resolve(o.mask) } : {}),
    });
    const what = ticket ? ` under the mask ${o.mask} (density ${percent(ticket.mask.density())})` : '';
    io.err(`kdlts train: ${o.model} on ${o.dataset} (${data.train.count} train / ${data.test?.count ?? 0} test)${what}, backend ${selection.name}\nrun directory: ${dir}\n`);

    const progress = trainProgress(io, o.progress ?? isInteractive(), o.model);
    const result = await train({
      model, data, config, outDir: dir, fresh: o.fresh, saveWeightsAt: settings.saveWeightsAt as number[],
      mask: ticket?.mask.toMap(), prunable, onEvent: progress.sink,
    });
    if (!progress.started()) io.err('finished run found: nothing to train (pass --fresh to train again)\n');
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
  const command = new Command('train')
    .description('Train a model on a dataset (SGD, the model\'s preset hyperparameters unless overridden), resumably, in a run directory');
  addModelDataOptions(command, 'train');
  addTrainingOptions(command)
    .option('--save-weights-at <iterations>', 'save the weights at these iterations (0 = init) as weights/iter-N.kdt, e.g. for rewinding', intList)
    .option('--mask <file>', 'train a ticket: a .kmask mask (kdlts prune / kdlts imp) over the model\'s prunable weights, held fixed; its contents are part of the run\'s identity');
  addRunOptions(command, 'train', '<model>-<dataset>')
    .option('--fresh', 'discard a checkpoint or finished result in the run directory and train from the start')
    .addHelpText('after', `
Run directory: <runs-dir>/train/<model>-<dataset>-<hash>, where <hash> covers the settings that
differ from their defaults (and, with --mask, a digest of the mask file's contents). Repeating a
command finds the same directory: a finished run is reported without training again, an
interrupted one resumes from its last epoch checkpoint.
It holds settings.json, log.jsonl (one JSON object per event), checkpoint.kdt (every epoch),
final.kdt (trained weights), result.json (per-epoch history, final and best accuracy, times).

Examples:
  kdlts train --model lenet300 --dataset fashion-mnist --epochs 10
  kdlts train --model conv4 --epochs 5 --lr 0.02 --schedule cosine
  kdlts train --model conv4 --mask runs/prune/conv4-fashion-mnist-snip-<hash>/mask.kmask
  kdlts train --model resnet20 --dataset cifar10 --data-dir ~/data/cifar-10-batches-bin`)
    .action(async (opts: TrainCliOptions) => {
      await runTrain(opts, io);
    });
  return command;
}

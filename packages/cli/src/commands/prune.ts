// `kdlts prune`: pruning at initialisation of a freshly built model, in one shot (magnitude, random,
// random-erk, snip, grasp, synflow) or by KD-LTS (teachers + search, prune-kdlts.ts): writes
// mask.kmask and report.json to a run directory named by the hash of the non-default settings, and
// prints the sparsity report. A finished run is found, not redone.
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { useBackend } from '@kdlts/backend';
import { buildModel, getModelSpec } from '@kdlts/models';
import {
  formatSparsityReport, getMethod, isIterativeMethod, loadMask, prune, saveMask, sparsityReport, ALL_METHOD_NAMES, type SparsityReport,
} from '@kdlts/prune';
import type { KdltsSummary } from '@kdlts/distill';
import { readJsonIfExists, writeJsonAtomic } from '@kdlts/train';

import { datasetInput, scoringBatches } from '../data';
import { nonNegativeInt, openFraction, positiveInt } from '../options';
import { canonicalJson, nonDefault, runDirectory } from '../run-dir';
import { percent } from '../table';
import { addModelDataOptions, addRunOptions, type ModelDataCliOptions, type RunCliOptions } from '../training';
import type { CliIo } from '../io';
import {
  addKdltsOptions, kdltsBreakdownLine, kdltsDefaults, kdltsGiven, runKdltsPrune, type KdltsCliOptions,
} from './prune-kdlts';

export const PRUNE_REPORT_FILE = 'report.json';
export const PRUNE_MASK_FILE = 'mask.kmask';

export interface PruneCliOptions extends ModelDataCliOptions, RunCliOptions, KdltsCliOptions {
  method: string;
  sparsity: number;
  layerwise?: boolean;
  minPerLayer?: number;
  seed: number;
  modelSeed: number;
  batches?: number;
  batchSize?: number;
}

/** report.json. */
export interface PruneRunReport {
  completed: true;
  method: string;
  model: string;
  dataset: string;
  sparsity: number;
  settings: Record<string, unknown>;
  /** Wall time of the strategy (time-to-mask; building the model and reading data excluded); kdlts: teachers + search. */
  seconds: number;
  report: SparsityReport;
  /** kdlts: where the seconds went ({ teachers, search }), the epoch-equivalents, and its summary. */
  breakdown?: Record<string, number>;
  epochEquivalents?: number;
  kdlts?: KdltsSummary;
}

/** commander parser for --method: a known one-shot method; imp/ltr point to `kdlts imp`. */
export function methodArg(value: string): string {
  if (isIterativeMethod(value)) {
    throw new InvalidArgumentError(`'${value}' trains between prunings: use kdlts imp${value === 'ltr' ? ' --rewind-iteration <k>' : ''}.`);
  }
  try {
    getMethod(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
  return value;
}

export function resolvePruneSettings(o: PruneCliOptions): { settings: Record<string, unknown>; defaults: Record<string, unknown> } {
  const info = getMethod(o.method);
  const scoring = info.kind === 'one-shot' && info.needsData;
  const kd = info.kind === 'teacher-search';
  if (!kd) {
    const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const given = Object.entries({ ...kdltsGiven(o), workers: o.workers, trainTicket: o.trainTicket }).filter(([, v]) => v !== undefined).map(([k]) => flag(k));
    if (given.length > 0) throw new Error(`${given.join(', ')}: KD-LTS options, not used by '${o.method}'`);
  }
  if (kd && (o.minPerLayer ?? 0) > 0) throw new Error('--min-per-layer is not supported by kdlts (its budgets are global or, with --layerwise, per layer)');
  const defaults: Record<string, unknown> = {
    layerwise: false, minPerLayer: 0, seed: 0, modelSeed: 0, backend: 'auto',
    ...(scoring ? { batches: 1, batchSize: 128 } : {}), ...(kd ? { batchSize: 128, ...kdltsDefaults() } : {}),
  };
  const settings: Record<string, unknown> = { ...defaults };
  const given: Record<string, unknown> = {
    layerwise: o.layerwise, minPerLayer: o.minPerLayer, seed: o.seed, modelSeed: o.modelSeed, backend: o.backend,
    ...(scoring ? { batches: o.batches, batchSize: o.batchSize } : {}), // data-free methods ignore them
    ...(kd ? { batchSize: o.batchSize, ...kdltsGiven(o) } : {}),
  };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) settings[k] = v;
  return { settings, defaults };
}

function printReport(io: CliIo, run: PruneRunReport, dir: string, json: boolean | undefined): void {
  if (json) {
    io.out(JSON.stringify(run, null, 2) + '\n');
    return;
  }
  const { kept, size, density } = run.report.total;
  io.out(`${formatSparsityReport(run.report)}\n`);
  io.out(
    `${run.method} at sparsity ${run.sparsity}: kept ${kept} of ${size} weights (density ${percent(density)}) in ${run.seconds.toFixed(2)} s\n` +
      (run.kdlts ? `${kdltsBreakdownLine(run.kdlts)}\n` : '') +
      `mask: ${path.join(dir, PRUNE_MASK_FILE)}\n`,
  );
}

export async function runPrune(o: PruneCliOptions, io: CliIo): Promise<{ dir: string; run: PruneRunReport }> {
  const method = getMethod(o.method);
  const { settings, defaults } = resolvePruneSettings(o);
  const identity = { model: o.model, dataset: o.dataset, method: o.method, sparsity: o.sparsity, ...nonDefault(settings, defaults) };
  const dir = o.runDir ? path.resolve(o.runDir) : runDirectory(o.runsDir, 'prune', `${o.model}-${o.dataset}-${o.method}`, identity);
  const done = readJsonIfExists<PruneRunReport>(path.join(dir, PRUNE_REPORT_FILE));
  if (done?.completed && fs.existsSync(path.join(dir, PRUNE_MASK_FILE))) {
    const theirs = { model: done.model, dataset: done.dataset, method: done.method, sparsity: done.sparsity, settings: done.settings };
    if (canonicalJson(theirs) !== canonicalJson({ model: o.model, dataset: o.dataset, method: o.method, sparsity: o.sparsity, settings })) {
      throw new Error(`${dir} holds a prune run with other settings (${path.join(dir, PRUNE_REPORT_FILE)}); use another --run-dir`);
    }
    io.err(`run directory: ${dir}\nfinished run found: nothing to prune\n`);
    printReport(io, done, dir, o.json);
    return { dir, run: done };
  }

  const selection = await useBackend({ backend: settings.backend as string });
  const settingsFile = { command: 'prune', model: o.model, dataset: o.dataset, method: o.method, sparsity: o.sparsity, settings, backend: selection.name };
  if (method.kind === 'teacher-search') {
    writeJsonAtomic(path.join(dir, 'settings.json'), settingsFile);
    io.err(`kdlts prune: KD-LTS on ${o.model} (${o.dataset}) to sparsity ${o.sparsity}, backend ${selection.name}\nrun directory: ${dir}\n`);
    const { summary, maskFile } = await runKdltsPrune(o, settings, dir, io);
    const run: PruneRunReport = {
      completed: true, method: o.method, model: o.model, dataset: o.dataset, sparsity: o.sparsity, settings, seconds: summary.timeToTicketSeconds,
      report: sparsityReport(loadMask(maskFile).mask), breakdown: { teachers: summary.teachers.seconds, search: summary.search.seconds },
      epochEquivalents: summary.epochEquivalents, kdlts: summary,
    };
    writeJsonAtomic(path.join(dir, PRUNE_REPORT_FILE), run);
    printReport(io, run, dir, o.json);
    return { dir, run };
  }
  const input = datasetInput(o.dataset);
  const data = method.needsData
    ? scoringBatches(o.dataset, o.dataDir, { count: settings.batches as number, batchSize: settings.batchSize as number, seed: o.seed })
    : undefined;
  writeJsonAtomic(path.join(dir, 'settings.json'), settingsFile);
  io.err(`kdlts prune: ${o.method} on ${o.model} (${o.dataset}) to sparsity ${o.sparsity}, backend ${selection.name}\nrun directory: ${dir}\n`);
  const model = buildModel(o.model, { seed: o.modelSeed, inputShape: input.shape, numClasses: input.numClasses });
  try {
    const prunable = getModelSpec(o.model).prunableWeights(model);
    const { mask, report, seconds } = await prune({
      method: o.method, model, prunable, sparsity: o.sparsity, seed: o.seed, data,
      layerwise: settings.layerwise as boolean, minPerLayer: settings.minPerLayer as number,
      options: method.needsData ? { batches: settings.batches as number } : {},
    });
    saveMask(path.join(dir, PRUNE_MASK_FILE), mask, { method: o.method, sparsity: o.sparsity, model: o.model, dataset: o.dataset, ...settings });
    const run: PruneRunReport = { completed: true, method: o.method, model: o.model, dataset: o.dataset, sparsity: o.sparsity, settings, seconds, report };
    writeJsonAtomic(path.join(dir, PRUNE_REPORT_FILE), run);
    printReport(io, run, dir, o.json);
    return { dir, run };
  } finally {
    model.dispose();
  }
}

export function pruneCommand(io: CliIo): Command {
  const command = new Command('prune')
    .description('Prune a freshly initialised model in one shot (magnitude, random, random-erk, snip, grasp, synflow) or by KD-LTS (kdlts): writes a .kmask mask and a sparsity report')
    .addOption(new Option('--method <name>', `pruning method: ${ALL_METHOD_NAMES.filter((m) => !isIterativeMethod(m)).join(', ')} (imp/ltr: kdlts imp)`).argParser(methodArg).makeOptionMandatory())
    .requiredOption('--sparsity <s>', 'fraction of the prunable weights to remove, 0 < s < 1 (the mask keeps exactly round((1 - s) n))', openFraction);
  addModelDataOptions(command, 'prune');
  command
    .option('--layerwise', 'every layer keeps the same fraction (default: one global ranking)')
    .option('--min-per-layer <n>', 'keep at least n weights in every layer (guards against layer collapse; default 0)', nonNegativeInt)
    .option('--seed <n>', 'seed of the random choices (random, random-erk) and of the scoring batches\' order', nonNegativeInt, 0)
    .option('--model-seed <n>', 'seed of the initial weights (use the same one to train the ticket)', nonNegativeInt, 0)
    .option('--batches <n>', 'snip, grasp: how many training batches to score with (default 1)', positiveInt)
    .option('--batch-size <n>', 'snip, grasp: the scoring batch size; kdlts: the search\'s batch size (default 128)', positiveInt);
  addKdltsOptions(command);
  addRunOptions(command, 'prune', '<model>-<dataset>-<method>')
    .addHelpText('after', `
Run directory: <runs-dir>/prune/<model>-<dataset>-<method>-<hash>, where <hash> covers the
sparsity and the settings that differ from their defaults. It holds settings.json, mask.kmask
(docs/mask-format.md) and report.json (written last: the run is finished). Repeating a command
finds the finished run and prints its report. kdlts also keeps teachers/teacher-<t>/ (resumable
teacher runs), search.json (the loss curve), rewind.kdt (θ_t, with --rewind-iteration), ticket/
(with --train-ticket) and kdlts.json (time breakdown, epoch-equivalents). Train the ticket with
  kdlts train --model <model> --dataset <dataset> --mask <run directory>/mask.kmask

Examples:
  kdlts prune --method snip --model conv4 --dataset fashion-mnist --sparsity 0.9
  kdlts prune --method synflow --model resnet20 --dataset cifar10 --sparsity 0.98 --layerwise
  kdlts prune --method kdlts --model conv4 --dataset fashion-mnist --sparsity 0.95 --teachers 3 --teacher-epochs 1`)
    .action(async (opts: PruneCliOptions) => {
      await runPrune(opts, io);
    });
  return command;
}

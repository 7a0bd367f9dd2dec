// `kdlts imp`: iterative magnitude pruning (IMP), or with --rewind-iteration k > 0 late rewinding
// (LTR), to a target sparsity, training every round with the same options as `kdlts train`; each
// round is a resumable stage of the run directory, and the final ticket is trained from the rewind
// point unless --no-train-ticket.
import * as path from 'path';
import { Command } from 'commander';
import { useBackend } from '@kdlts/backend';
import { numBatches } from '@kdlts/data';
import { buildModel, getModelSpec } from '@kdlts/models';
import { impRounds, IMP_DEFAULT_PRUNE_FRACTION, IMP_SUMMARY_FILE, runImp, type ImpSummary } from '@kdlts/prune';
import { isInteractive, writeJsonAtomic, type EventSink } from '@kdlts/train';

import { loadTrainData } from '../data';
import { nonNegativeInt, openFraction } from '../options';
import { nonDefault, runDirectory } from '../run-dir';
import { formatTable, percent } from '../table';
import {
  addModelDataOptions, addRunOptions, addTrainingOptions, configFrom, resolveTrainSettings, trainProgress, type TrainingCliOptions,
} from '../training';
import type { CliIo } from '../io';

export interface ImpCliOptions extends TrainingCliOptions {
  sparsity: number;
  pruneFraction?: number;
  rewindIteration?: number;
  layerwise?: boolean;
  minPerLayer?: number;
  /** Default true (--no-train-ticket: stop at the mask). Not part of the run's identity. */
  trainTicket?: boolean;
}

/** The IMP settings beside the training ones, with their defaults. */
export function resolveImpSettings(o: ImpCliOptions): { settings: Record<string, unknown>; defaults: Record<string, unknown> } {
  const train = resolveTrainSettings(o);
  const defaults = { ...train.defaults, pruneFraction: IMP_DEFAULT_PRUNE_FRACTION, rewindIteration: 0, layerwise: false, minPerLayer: 0 };
  const settings: Record<string, unknown> = { ...train.settings, pruneFraction: IMP_DEFAULT_PRUNE_FRACTION, rewindIteration: 0, layerwise: false, minPerLayer: 0 };
  const given: Record<string, unknown> = { pruneFraction: o.pruneFraction, rewindIteration: o.rewindIteration, layerwise: o.layerwise, minPerLayer: o.minPerLayer };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) settings[k] = v;
  return { settings, defaults };
}

export function roundsTable(s: ImpSummary): string {
  const rows = s.rounds.map((r) => [
    String(r.round), percent(r.density), percent(r.finalAccuracy), percent(r.bestAccuracy), String(r.iterations),
    r.seconds.toFixed(1), percent(r.prunedDensity),
  ]);
  if (s.ticket) {
    rows.push(['ticket', percent(s.density), percent(s.ticket.finalAccuracy), percent(s.ticket.bestAccuracy), String(s.ticket.iterations), s.ticket.trainSeconds.toFixed(1), '']);
  }
  const header = ['round', 'density', 'test acc', 'best acc', 'iterations', 'seconds', 'pruned to'];
  return formatTable(header, rows, header.map(() => 'right'));
}

export async function runImpCommand(o: ImpCliOptions, io: CliIo): Promise<{ dir: string; summary: ImpSummary }> {
  const { settings, defaults } = resolveImpSettings(o);
  const method = (settings.rewindIteration as number) > 0 ? 'ltr' : 'imp';
  const identity = { model: o.model, dataset: o.dataset, sparsity: o.sparsity, ...nonDefault(settings, defaults) };
  const dir = o.runDir ? path.resolve(o.runDir) : runDirectory(o.runsDir, 'imp', `${o.model}-${o.dataset}-${method}`, identity);

  const selection = await useBackend({ backend: settings.backend as string });
  const data = loadTrainData(o.dataset, o.dataDir);
  const config = configFrom(settings, numBatches(data.train.count, settings.batchSize as number));
  const rounds = impRounds(o.sparsity, settings.pruneFraction as number);
  writeJsonAtomic(path.join(dir, 'settings.json'), {
    command: 'imp', model: o.model, dataset: o.dataset, sparsity: o.sparsity, settings, nonDefault: nonDefault(settings, defaults), backend: selection.name,
  });
  io.err(
    `kdlts imp: ${method} on ${o.model} (${o.dataset}) to sparsity ${o.sparsity} in ${rounds} rounds of ${percent(settings.pruneFraction as number)}, ` +
      `backend ${selection.name}\nrun directory: ${dir}\n`,
  );
  const model = buildModel(o.model, { seed: settings.modelSeed as number, inputShape: data.train.shape, numClasses: data.train.numClasses });
  try {
    const bar = o.progress ?? isInteractive();
    let sink: EventSink | undefined;
    const { summary } = await runImp({
      model, prunable: getModelSpec(o.model).prunableWeights(model), data, config, sparsity: o.sparsity, outDir: dir,
      pruneFraction: settings.pruneFraction as number, rewindIteration: settings.rewindIteration as number,
      layerwise: settings.layerwise as boolean, minPerLayer: settings.minPerLayer as number, trainTicket: o.trainTicket ?? true,
      meta: { dataset: o.dataset, modelSeed: settings.modelSeed },
      onEvent: (e) => {
        if (e.type === 'round-start') {
          io.err(`round ${e.round}/${e.rounds}: training at density ${percent(e.density)}\n`);
          sink = trainProgress(io, bar, `${o.model} round ${e.round}/${e.rounds}`, `  round ${e.round}: `).sink;
        } else if (e.type === 'round-done') {
          const r = e.record;
          io.err(`round ${e.round}/${e.rounds}${e.skipped ? ' (finished earlier)' : ''}: test acc ${percent(r.finalAccuracy)} at density ${percent(r.density)}, pruned to ${percent(r.prunedDensity)}\n`);
        } else if (e.type === 'rewound' && e.before === 'ticket' && (o.trainTicket ?? true)) {
          io.err(`ticket: training at density ${percent(e.mask.density())} from the rewind point\n`);
          sink = trainProgress(io, bar, `${o.model} ticket`, '  ticket: ').sink;
        } else if (e.type === 'train') {
          sink?.(e.event);
        }
      },
    });
    if (o.json) io.out(JSON.stringify(summary, null, 2) + '\n');
    else {
      io.out(`${roundsTable(summary)}\n`);
      const ticket = summary.ticket
        ? `ticket accuracy ${percent(summary.ticket.finalAccuracy)} (best ${percent(summary.ticket.bestAccuracy)})`
        : 'ticket not trained (--no-train-ticket)';
      io.out(
        `${method} to ${summary.kept} of ${summary.size} weights (density ${percent(summary.density)}): ${ticket}\n` +
          `time-to-ticket ${summary.timeToTicketSeconds.toFixed(1)} s, ${summary.epochEquivalents.toFixed(2)} epoch-equivalents\n` +
          `mask: ${path.join(dir, 'mask.kmask')}\nsummary: ${path.join(dir, IMP_SUMMARY_FILE)}\n`,
      );
    }
    return { dir, summary };
  } finally {
    model.dispose();
  }
}

export function impCommand(io: CliIo): Command {
  const command = new Command('imp')
    .description('Iterative magnitude pruning (IMP / lottery tickets; LTR with --rewind-iteration): train, prune, rewind, in resumable rounds')
    .requiredOption('--sparsity <s>', 'target sparsity, 0 < s < 1 (the final mask keeps exactly round((1 - s) n))', openFraction);
  addModelDataOptions(command, 'prune');
  command
    .option('--prune-fraction <p>', 'fraction of the surviving weights each round removes (default 0.2)', openFraction)
    .option('--rewind-iteration <k>', 'rewind the survivors to the weights after k steps of the first round (LTR); 0 = to θ0 (IMP, default)', nonNegativeInt)
    .option('--layerwise', 'every layer prunes the same fraction (default: one global ranking)')
    .option('--min-per-layer <n>', 'keep at least n weights in every layer (default 0)', nonNegativeInt)
    .option('--train-ticket', 'train the final ticket from the rewind point: its accuracy is the ticket accuracy (default)')
    .option('--no-train-ticket', 'stop at the final mask');
  addTrainingOptions(command);
  addRunOptions(command, 'imp', '<model>-<dataset>-<imp|ltr>')
    .addHelpText('after', `
Every round trains with the options of kdlts train. R = ceil(log(1 - s) / log(1 - p)) rounds.
Run directory: <runs-dir>/imp/<model>-<dataset>-<imp|ltr>-<hash> (the hash covers the sparsity
and the settings that differ from their defaults). It holds round-<r>/ per round (mask.kmask it
trained with, train/ its training run, pruned.kmask, round.json written last), mask.kmask (the
final mask), ticket/ (the ticket's training) and imp.json (per-round accuracies, time-to-ticket,
epoch-equivalents). Repeating a command skips finished rounds and resumes the first unfinished one.

Examples:
  kdlts imp --model lenet300 --dataset fashion-mnist --sparsity 0.95
  kdlts imp --model resnet20 --dataset cifar10 --sparsity 0.9 --rewind-iteration 500`)
    .action(async (opts: ImpCliOptions) => {
      await runImpCommand(opts, io);
    });
  return command;
}

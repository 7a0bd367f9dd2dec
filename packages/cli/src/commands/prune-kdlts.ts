// `kdlts prune --method kdlts`: KD-LTS through the same command, run directory and report as the
// one-shot baselines. The teachers train with the model's preset for --teacher-epochs epochs (each
// a resumable stage under teachers/), the search writes mask.kmask, and report.json adds the time
// breakdown (teachers, search) and the epoch-equivalents. --train-ticket also trains the ticket
// from its rewind point (θ0, or θ_t with --rewind-iteration: the early-ticket variant).
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { numBatches } from '@kdlts/data';
import {
  DEFAULT_LOSS_WEIGHTS, KDLTS_DEFAULT_TEACHER_EPOCHS, KDLTS_DEFAULT_TEACHERS, runKdlts, SEARCH_INITS, type KdltsSummary, type SearchInit,
} from '@kdlts/distill';
import { isInteractive, stepProgressBar } from '@kdlts/train';

import { loadTrainData } from '../data';
import { fraction, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt } from '../options';
import { percent } from '../table';
import { configFrom, resolveTrainSettings, trainProgress, type TrainingCliOptions } from '../training';
import type { CliIo } from '../io';

/** The KD-LTS options of `kdlts prune` (undefined: the default). */
export interface KdltsCliOptions {
  teachers?: number;
  teacherEpochs?: number;
  independentInit?: boolean;
  workers?: number;
  searchSteps?: number;
  searchLr?: number;
  straightThroughFrom?: number;
  searchInit?: string;
  rewindIteration?: number;
  lossWeights?: number[];
  temperature?: number;
  /** Not part of the run's identity (the mask does not depend on it). */
  trainTicket?: boolean;
}

export const KDLTS_SEARCH_DEFAULTS = { searchSteps: 200, searchLr: 0.01, straightThroughFrom: 0, searchInit: 'layer-magnitude' } as const;

/** "1,1,0.5" -> [α, β, γ]: three finite numbers >= 0. */
export function lossWeightsArg(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === '') || out.some((x) => !Number.isFinite(x) || x < 0)) {
    throw new InvalidArgumentError('expected three comma-separated numbers >= 0: alpha,beta,gamma (response, feature, relation).');
  }
  return out;
}

export function kdltsDefaults(): Record<string, unknown> {
  const w = DEFAULT_LOSS_WEIGHTS;
  return {
    teachers: KDLTS_DEFAULT_TEACHERS, teacherEpochs: KDLTS_DEFAULT_TEACHER_EPOCHS, independentInit: false,
    searchSteps: KDLTS_SEARCH_DEFAULTS.searchSteps, searchLr: KDLTS_SEARCH_DEFAULTS.searchLr,
    straightThroughFrom: KDLTS_SEARCH_DEFAULTS.straightThroughFrom, searchInit: KDLTS_SEARCH_DEFAULTS.searchInit, rewindIteration: 0,
    lossWeights: [w.alpha, w.beta, w.gamma], temperature: w.tau,
  };
}

export function kdltsGiven(o: KdltsCliOptions): Record<string, unknown> {
  return {
    teachers: o.teachers, teacherEpochs: o.teacherEpochs, independentInit: o.independentInit, searchSteps: o.searchSteps,
    searchLr: o.searchLr, straightThroughFrom: o.straightThroughFrom, searchInit: o.searchInit, rewindIteration: o.rewindIteration, lossWeights: o.lossWeights, temperature: o.temperature,
  };
}

export function addKdltsOptions(command: Command): Command {
  return command
    .option('--teachers <T>', `kdlts: teachers in the ensemble (default ${KDLTS_DEFAULT_TEACHERS})`, positiveInt)
    .option('--teacher-epochs <E>', `kdlts: epochs each teacher trains, with the model's preset otherwise (default ${KDLTS_DEFAULT_TEACHER_EPOCHS})`, positiveInt)
    .option('--independent-init', 'kdlts: each teacher from its own initial weights (default: all from θ0, differing in data order)')
    .option('--workers <n>', 'kdlts: train up to n teachers at a time in worker processes (default 1; not part of the run\'s identity)', positiveInt)
    .option('--search-steps <S>', `kdlts: optimizer steps on the mask scores (default ${KDLTS_SEARCH_DEFAULTS.searchSteps})`, nonNegativeInt)
    .option('--search-lr <x>', `kdlts: Adam learning rate on the scores (default ${KDLTS_SEARCH_DEFAULTS.searchLr})`, nonNegativeNumber)
    .option('--straight-through-from <f>', 'kdlts: fraction of the search steps after which the forward uses the binary top-k mask; 0 = every step (default), 0.75 = a relaxed phase first', fraction)
    .option('--search-init <how>', `kdlts: initial scores: ${SEARCH_INITS.join(', ')} (default ${KDLTS_SEARCH_DEFAULTS.searchInit}: |θ| ranked within each layer)`, oneOf(SEARCH_INITS))
    .option('--rewind-iteration <t>', 'kdlts: search at θ_t, teacher 0\'s weights after t steps (the early ticket); 0 = at θ0 (default)', nonNegativeInt)
    .option('--loss-weights <a,b,c>', 'kdlts: weights of the response, feature and relation losses (default 1,1,1)', lossWeightsArg)
    .option('--temperature <tau>', 'kdlts: softmax temperature of the response loss (default 4)', nonNegativeNumber)
    .option('--train-ticket', 'kdlts: also train the ticket from its rewind point (θ0 or θ_t) with the model\'s preset');
}

export interface KdltsPruneOutcome {
  summary: KdltsSummary;
  maskFile: string;
}

/** Runs KD-LTS into `dir` with the resolved settings; prints progress on stderr. */
export async function runKdltsPrune(
  o: { model: string; dataset: TrainingCliOptions['dataset']; sparsity: number; dataDir?: string; progress?: boolean; workers?: number; trainTicket?: boolean },
  settings: Record<string, unknown>, dir: string, io: CliIo,
): Promise<KdltsPruneOutcome> {
  const data = loadTrainData(o.dataset, o.dataDir);
  const train = resolveTrainSettings({ model: o.model, dataset: o.dataset, seed: settings.seed as number, modelSeed: settings.modelSeed as number, evalEvery: 1, backend: 'auto', runsDir: '' });
  const config = configFrom(train.settings, numBatches(data.train.count, train.settings.batchSize as number));
  const [alpha, beta, gamma] = settings.lossWeights as number[];
  const bar = o.progress ?? isInteractive();
  let trainSink: ReturnType<typeof trainProgress>['sink'] | undefined;
  let teacherShown = -1;
  let search: ReturnType<typeof stepProgressBar> | undefined;
  const { summary } = await runKdlts({
    model: o.model, modelSeed: settings.modelSeed as number, data, sparsity: o.sparsity, config,
    teachers: settings.teachers as number, teacherEpochs: settings.teacherEpochs as number, independentInit: settings.independentInit as boolean,
    workers: o.workers ?? 1, rewindIteration: settings.rewindIteration as number, trainTicket: o.trainTicket ?? false,
    search: {
      steps: settings.searchSteps as number, lr: settings.searchLr as number, straightThroughFrom: settings.straightThroughFrom as number,
      init: settings.searchInit as SearchInit, batchSize: settings.batchSize as number, seed: settings.seed as number,
      layerwise: settings.layerwise as boolean, weights: { alpha, beta, gamma, tau: settings.temperature as number },
    },
    outDir: dir,
    meta: { dataset: o.dataset },
    onEvent: (e) => {
      switch (e.type) {
        case 'teachers-start':
          io.err(`teachers: ${e.count} × ${e.epochs} epoch(s) from ${settings.independentInit ? 'independent inits' : 'θ0'}\n`);
          break;
        case 'teacher':
          if (e.teacher !== teacherShown) {
            teacherShown = e.teacher;
            trainSink = trainProgress(io, bar, `${o.model} teacher ${e.teacher}`, `  teacher ${e.teacher}: `).sink;
          }
          trainSink?.(e.event);
          break;
        case 'teachers-done':
          io.err(`teachers done: ${e.seconds.toFixed(1)} s of training, test acc ${e.accuracies.map((a) => percent(a)).join(', ')}\n`);
          break;
        case 'search-start':
          io.err(`search: ${e.steps} steps\n`);
          if (bar) search = stepProgressBar(process.stderr, `${o.model} search`, e.steps);
          break;
        case 'search-step':
          if (search) search.update(e.step.step + 1, e.step.loss);
          else if ((e.step.step + 1) % 50 === 0 || e.step.step + 1 === e.steps) io.err(`  search step ${e.step.step + 1}/${e.steps}: loss ${e.step.loss.toFixed(4)}\n`);
          break;
        case 'search-done':
          search?.stop();
          io.err(`search ${e.skipped ? 'found finished' : 'done'}: ${e.seconds.toFixed(1)} s\n`);
          if (o.trainTicket) {
            io.err('ticket: training from the rewind point under the mask\n');
            trainSink = trainProgress(io, bar, `${o.model} ticket`, '  ticket: ').sink;
          }
          break;
        case 'ticket':
          trainSink?.(e.event);
          break;
        default:
          break;
      }
    },
  });
  return { summary, maskFile: path.join(dir, 'mask.kmask') };
}

/** The time breakdown line of a KD-LTS report. */
export function kdltsBreakdownLine(s: KdltsSummary): string {
  const ticket = s.ticket ? `; ticket test acc ${percent(s.ticket.finalAccuracy)} (best ${percent(s.ticket.bestAccuracy)})` : '';
  return `time-to-ticket ${s.timeToTicketSeconds.toFixed(1)} s = teachers ${s.teachers.seconds.toFixed(1)} s (${s.teachers.count} × ${s.teachers.epochs} epoch(s)) ` +
    `+ search ${s.search.seconds.toFixed(1)} s (${s.search.steps} steps); ${s.epochEquivalents.toFixed(2)} epoch-equivalents${ticket}`;
}

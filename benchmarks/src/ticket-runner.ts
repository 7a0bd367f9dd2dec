// Finds tickets with every method and trains them, under one budget: the engine of the accuracy
// sweep and of the time-to-ticket benchmark. For one (model, seed) it runs each requested
// (method, sparsity) cell in its own resumable directory and returns one TicketRecord per cell:
//   <runs>/<model>-<dataset>-<budget hash>/seed-<s>/<method>-s<sparsity>/   mask, ticket/, record.json
//   .../seed-<s>/imp/, ltr/  one IMP (LTR) run to the highest sparsity; lower ones are read from its rounds (impMaskAt)
//   .../seed-<s>/teachers/   the KD-LTS teachers, shared by every KD-LTS cell of the seed
// A cell whose record.json exists is read, not redone, so an interrupted sweep resumes.
import * as fs from 'fs';
import * as path from 'path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { configFrom, resolveTrainSettings, scoringBatchesOf, settingsHash } from '@kdlts/cli';
import {
  DATASET_INFO, gather, loadDataset, numBatches, permutation, type Dataset, type DatasetName,
} from '@kdlts/data';
import { resolveSearchConfig, runKdlts } from '@kdlts/distill';
import { buildModel, getModelSpec, type PrunableWeight } from '@kdlts/models';
import { getMethod, impMaskAt, prune, runImp, saveMask, type Mask } from '@kdlts/prune';
import { loadWeights, readJsonIfExists, resolveStats, train, writeJsonAtomic, type TrainConfig, type TrainData } from '@kdlts/train';

import type { TicketRecord } from './ticket-results';

/** How one model trains in a benchmark: the preset, with the length (and optionally the data) scaled down. */
export interface ModelBudget {
  model: string;
  dataset: DatasetName;
  epochs: number;
  /** A fixed seeded subset of the training / test split (default: all of it). */
  trainImages?: number;
  testImages?: number;
  /** KD-LTS search steps and batch size for this model (default: the runner's). */
  searchSteps?: number;
  searchBatchSize?: number;
  /** t of kdlts-early and ltr for this model (default: the runner's). */
  rewindIteration?: number;
}

export interface KdltsBudget {
  teachers: number;
  teacherEpochs: number;
  searchSteps: number;
  searchBatchSize: number;
  /** t of the early-ticket variant (method 'kdlts-early'). */
  rewindIteration: number;
}

export interface RunnerOptions {
  runsDir: string;
  dataDir?: string;
  kdlts: KdltsBudget;
  imp: { pruneFraction: number };
  /** SNIP / GraSP scoring batches (of 128). */
  scoringBatches: number;
  log: (line: string) => void;
}

/** Methods a runner knows: the registry's one-shot ones, imp, and kdlts at θ0 or θ_t. */
export const RUNNER_METHODS = ['magnitude', 'random', 'random-erk', 'snip', 'grasp', 'synflow', 'imp', 'ltr', 'kdlts', 'kdlts-early'] as const;

const LABELS: Record<string, string> = {
  magnitude: 'Magnitude', random: 'Random', 'random-erk': 'Random (ERK)', snip: 'SNIP', grasp: 'GraSP', synflow: 'SynFlow',
  imp: 'IMP (LTH, rewind to θ0)', kdlts: 'KD-LTS (θ0)',
};

export function methodLabel(method: string, t: number): string {
  if (method === 'kdlts-early') return `KD-LTS (θ_t, t = ${t})`;
  if (method === 'ltr') return `LTR (IMP, rewind to θ_t, t = ${t})`;
  return LABELS[method] ?? method;
}

/** The data of a budget: the dataset, cut to a seeded subset (the same for every seed and method). */
export function budgetData(b: ModelBudget, dataDir: string | undefined): TrainData {
  const cut = (ds: Dataset, count: number | undefined, seed: number): Dataset =>
    count === undefined || count >= ds.count ? ds : gather(ds, permutation(ds.count, seed).subarray(0, count));
  const train = cut(loadDataset(b.dataset, 'train', { dataDir }), b.trainImages, 1234);
  const test = cut(loadDataset(b.dataset, 'test', { dataDir }), b.testImages, 4321);
  return { train, test, stats: DATASET_INFO[b.dataset].stats };
}

/** The training settings of a budget (the CLI's resolution of the model's preset) and its config. */
export function budgetTraining(b: ModelBudget, seed: number, trainCount: number): { settings: Record<string, unknown>; config: TrainConfig } {
  const { settings } = resolveTrainSettings({
    model: b.model, dataset: b.dataset, epochs: b.epochs, seed, modelSeed: seed, evalEvery: b.epochs, backend: 'kdlts', runsDir: '',
  });
  return { settings, config: configFrom(settings, numBatches(trainCount, settings.batchSize as number)) };
}

const sparsityTag = (s: number) => `s${s}`;

export interface SeedPlan {
  budget: ModelBudget;
  seed: number;
  methods: readonly string[];
  sparsities: readonly number[];
}

/** Runs (or reads) every (method, sparsity) cell of one model and seed. */
export async function runSeed(plan: SeedPlan, o: RunnerOptions, onRecord: (r: TicketRecord) => void): Promise<TicketRecord[]> {
  const { budget, seed } = plan;
  for (const m of plan.methods) if (!(RUNNER_METHODS as readonly string[]).includes(m)) throw new Error(`unknown method '${m}' (known: ${RUNNER_METHODS.join(', ')})`);
  const data = budgetData(budget, o.dataDir);
  const { settings, config } = budgetTraining(budget, seed, data.train.count);
  const identity = { budget, settings, kdlts: o.kdlts, imp: o.imp, scoringBatches: o.scoringBatches, trainCount: data.train.count };
  const group = path.join(o.runsDir, `${budget.model}-${budget.dataset}-${settingsHash('tickets', identity)}`, `seed-${seed}`);
  const spec = getModelSpec(budget.model);
  const shape = { inputShape: data.train.shape, numClasses: data.train.numClasses };
  const fresh = () => {
    const model = buildModel(budget.model, { seed, ...shape });
    return { model, prunable: spec.prunableWeights(model) };
  };
  const kd = o.kdlts;
  const searchSteps = budget.searchSteps ?? kd.searchSteps;
  const searchBatchSize = budget.searchBatchSize ?? kd.searchBatchSize;
  const rewindAt = budget.rewindIteration ?? kd.rewindIteration;
  const records: TicketRecord[] = [];
  // kdlts-early first: teacher 0 keeps θ_t only in the run that trains it.
  const methods = [...plan.methods].sort((a, b) => Number(b === 'kdlts-early') - Number(a === 'kdlts-early'));
  const maxSparsity = Math.max(...plan.sparsities);

  type Found = { mask: Mask; seconds: number; epochEquivalents: number; breakdown: Record<string, number> };
  const findOneShotOrImp = async (method: string, sparsity: number, model: tfl.LayersModel, prunable: PrunableWeight[]): Promise<Found> => {
    if (method === 'imp' || method === 'ltr') {
      const impDir = path.join(group, method);
      await runImp({
        model, prunable, data, config, sparsity: maxSparsity, pruneFraction: o.imp.pruneFraction, outDir: impDir, trainTicket: false,
        rewindIteration: method === 'ltr' ? rewindAt : 0,
        onEvent: (e) => {
          if (e.type === 'round-done' && !e.skipped) o.log(`  imp round ${e.round}/${e.rounds}: density ${e.record.density.toFixed(4)}, test acc ${e.record.finalAccuracy}`);
        },
      });
      const { mask, rounds } = impMaskAt({ model, prunable, impDir, sparsity, pruneFraction: o.imp.pruneFraction });
      const training = rounds.reduce((a, r) => a + r.trainSeconds, 0);
      const pruning = rounds.reduce((a, r) => a + r.pruneSeconds, 0);
      return { mask, seconds: training + pruning, epochEquivalents: rounds.reduce((a, r) => a + r.epochEquivalents, 0), breakdown: { rounds: rounds.length, training, pruning } };
    }
    const info = getMethod(method);
    const result = await prune({
      method, model, prunable, sparsity, seed, data: info.needsData ? scoringBatchesOf(data.train, resolveStats(data.train, data.stats), { count: o.scoringBatches, batchSize: 128, seed }) : undefined,
      options: info.needsData ? { batches: o.scoringBatches } : {},
    });
    const epochEquivalents = info.needsData ? Math.min(data.train.count, o.scoringBatches * 128) / data.train.count : 0;
    return { mask: result.mask, seconds: result.seconds, epochEquivalents, breakdown: { scoring: result.seconds } };
  };

  for (const method of methods) {
    for (const sparsity of plan.sparsities) {
      // KD-LTS cells also carry their resolved search settings: a changed search default gives a new cell, never a stale record.
      const kdltsSearch = { steps: searchSteps, batchSize: searchBatchSize };
      const searchId = method === 'kdlts' || method === 'kdlts-early'
        ? `-${settingsHash('search', { ...resolveSearchConfig({ ...kdltsSearch, sparsity, seed: config.seed }) })}` : '';
      const dir = path.join(group, `${method}-${sparsityTag(sparsity)}${searchId}`);
      const recordFile = path.join(dir, 'record.json');
      const done = readJsonIfExists<TicketRecord>(recordFile);
      if (done) {
        records.push(done);
        onRecord(done);
        continue;
      }
      o.log(`${budget.model} seed ${seed}: ${method} at sparsity ${sparsity}`);
      const base = {
        model: budget.model, dataset: budget.dataset, method, label: methodLabel(method, rewindAt), sparsity, seed, runDir: dir,
        rewindIteration: method === 'kdlts-early' || method === 'ltr' ? rewindAt : 0,
      };
      let found: Found;
      let ticket: { finalAccuracy: number; bestAccuracy: number; bestEpoch: number; trainSeconds: number } | undefined;
      if (method === 'kdlts' || method === 'kdlts-early') {
        const { mask, summary } = await runKdlts({
          model: budget.model, modelSeed: seed, data, sparsity, config, teachers: kd.teachers, teacherEpochs: kd.teacherEpochs,
          search: kdltsSearch, rewindIteration: base.rewindIteration,
          outDir: dir, teachersDir: path.join(group, 'teachers'),
        });
        found = {
          mask, seconds: summary.timeToTicketSeconds, epochEquivalents: summary.epochEquivalents,
          breakdown: { teachers: summary.teachers.seconds, search: summary.search.seconds },
        };
        ticket = summary.ticket;
      } else {
        const { model, prunable } = fresh();
        try {
          found = await findOneShotOrImp(method, sparsity, model, prunable);
        } finally {
          model.dispose();
        }
        saveMask(path.join(dir, 'mask.kmask'), found.mask, { method, sparsity, model: budget.model, dataset: budget.dataset, seed });
        // The ticket: θ0 (ltr: θ_t) under the mask; the rounds changed the model above.
        const fresh0 = fresh();
        try {
          if (method === 'ltr') loadWeights(fresh0.model, path.join(group, 'ltr', 'round-1', 'train', 'weights', `iter-${rewindAt}.kdt`));
          ticket = await train({ model: fresh0.model, prunable: fresh0.prunable, data, config, mask: found.mask.toMap(), outDir: path.join(dir, 'ticket') });
        } finally {
          fresh0.model.dispose();
        }
      }
      const record: TicketRecord = {
        ...base, kept: found.mask.count(), size: found.mask.size, timeToTicketSeconds: found.seconds, epochEquivalents: found.epochEquivalents,
        breakdown: found.breakdown, finalAccuracy: ticket!.finalAccuracy, bestAccuracy: ticket!.bestAccuracy, bestEpoch: ticket!.bestEpoch,
        ticketTrainSeconds: ticket!.trainSeconds,
      };
      fs.mkdirSync(dir, { recursive: true });
      writeJsonAtomic(recordFile, record);
      records.push(record);
      onRecord(record);
    }
  }
  return records;
}

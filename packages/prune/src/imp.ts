// Iterative magnitude pruning (IMP, the lottery ticket hypothesis) and its late-rewinding variant
// (LTR): start from θ0 with a full mask; every round trains under the current mask (@kdlts/train),
// removes a fraction p of the surviving weights by magnitude, and rewinds the survivors (and every
// other weight: biases, batch-norm parameters and statistics) to θ0, or to θ_k, the weights after
// k iterations of the first, dense round. R = ceil(log(1-s)/log(1-p)) rounds reach sparsity s; the
// last one prunes to exactly k = round((1-s) n).
//
// With `outDir` every round is a resumable, idempotent stage (docs/pruning.md):
//   round-<r>/mask.kmask     the mask the round trains with
//   round-<r>/train/         its training run directory (train() resumes from its checkpoint)
//   round-<r>/pruned.kmask   the mask after the round's pruning (the next round's mask)
//   round-<r>/round.json     the round's record, written atomically last: the round is done
//   mask.kmask, ticket/, imp.json   the final mask, the ticket's training, the summary
// A restarted run skips the rounds whose round.json exists and resumes the first unfinished one.
import * as path from 'path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { numBatches } from '@kdlts/data';
import type { PrunableWeight } from '@kdlts/models';
import {
  readBundle, readJsonIfExists, restoreWeights, snapshotWeights, train, writeJsonAtomic,
  type TensorBundle, type TrainConfig, type TrainData, type TrainEvent, type TrainResult,
} from '@kdlts/train';

import { runFingerprint } from './fingerprint';
import { loadMask, saveMask, type MaskMeta } from './format';
import { impKeptCounts, IMP_DEFAULT_PRUNE_FRACTION, pruneSurvivors, validatePruneFraction } from './imp_pruning';
import { Mask, sizeOfShape } from './mask';
import { checkPrunable } from './prune';
import { validateMinPerLayer, validateSparsity, type SelectionOptions } from './select';

export const IMP_SUMMARY_FILE = 'imp.json';
export const IMP_ROUND_FILE = 'round.json';
export const IMP_ROUND_MASK_FILE = 'mask.kmask';
export const IMP_PRUNED_MASK_FILE = 'pruned.kmask';
export const IMP_TICKET_DIR = 'ticket';

export interface ImpRequest extends SelectionOptions {
  /** The model at its initialisation θ0 (build it with its seed); runImp changes its weights. */
  model: tfl.LayersModel;
  /** ModelSpec.prunableWeights(model). */
  prunable: PrunableWeight[];
  data: TrainData;
  /** The training of every round (and of the ticket). */
  config: TrainConfig;
  /** Target sparsity, 0 < s < 1. */
  sparsity: number;
  /** Fraction of the surviving weights each round removes (default 0.2). */
  pruneFraction?: number;
  /** 0 (default): rewind to θ0 (IMP). k > 0: rewind to θ_k, after k steps of the dense round (LTR). */
  rewindIteration?: number;
  /** Train the final ticket from the rewind point (default true): the ticket's accuracy. */
  trainTicket?: boolean;
  /** Run directory (stages above); without it nothing is written and nothing resumes. */
  outDir?: string;
  /** Added to the meta of every mask written. */
  meta?: MaskMeta;
  onEvent?: (event: ImpEvent) => void;
  /** Stops training between steps (TrainingAborted); finished rounds stay done. */
  signal?: AbortSignal;
  /** Training 'iteration' events every this many steps (default 50). */
  logEvery?: number;
}

/** One round: what it trained with, how it did, what it pruned to (round.json). */
export interface ImpRound {
  /** 1-based. */
  round: number;
  /** The mask the round trained with: kept weights and density. */
  kept: number;
  density: number;
  /** After the round's pruning. */
  prunedKept: number;
  prunedDensity: number;
  finalAccuracy: number;
  bestAccuracy: number;
  bestEpoch: number;
  iterations: number;
  /** Passes over the training set: iterations / batches per epoch (a partial last batch counts as a whole one). */
  epochEquivalents: number;
  /** Training step time (across resumes), evaluation time, and the pruning step's time. */
  trainSeconds: number;
  evalSeconds: number;
  pruneSeconds: number;
  /** trainSeconds + pruneSeconds: the round's share of the time-to-ticket. */
  seconds: number;
  /** Of the IMP run: a round.json of another run is an error, never silently reused. */
  fingerprint: string;
}

/** The ticket's training (from the rewind point, under the final mask). */
export interface ImpTicket {
  finalAccuracy: number;
  bestAccuracy: number;
  bestEpoch: number;
  iterations: number;
  trainSeconds: number;
  evalSeconds: number;
}

/** imp.json. */
export interface ImpSummary {
  method: 'imp' | 'ltr';
  fingerprint: string;
  sparsity: number;
  pruneFraction: number;
  rewindIteration: number;
  layerwise: boolean;
  minPerLayer: number;
  /** Prunable weights (n), kept at the end (k = round((1-s) n)), k / n. */
  size: number;
  kept: number;
  density: number;
  rounds: ImpRound[];
  /** Σ rounds' training step time + pruning time (evaluation and the ticket's training excluded). */
  timeToTicketSeconds: number;
  /** Σ rounds' epoch-equivalents (the ticket's training excluded). */
  epochEquivalents: number;
  /** Absent when the ticket was not trained. */
  ticket?: ImpTicket;
}

export interface ImpResult {
  mask: Mask;
  summary: ImpSummary;
}

export type ImpEvent =
  | { type: 'round-start'; round: number; rounds: number; kept: number; density: number }
  | { type: 'round-done'; round: number; rounds: number; record: ImpRound; skipped: boolean }
  /** The model now holds the rewind point under `mask` (before round `round` >= 2, or before the ticket). */
  | { type: 'rewound'; before: number | 'ticket'; mask: Mask }
  | { type: 'train'; stage: number | 'ticket'; event: TrainEvent }
  | { type: 'done'; summary: ImpSummary };

function roundIterations(config: TrainConfig, trainCount: number): number {
  return config.iterations ?? (config.epochs ?? 0) * numBatches(trainCount, config.batchSize, config.dropLast);
}

function ticketOf(r: TrainResult): ImpTicket {
  return {
    finalAccuracy: r.finalAccuracy, bestAccuracy: r.bestAccuracy, bestEpoch: r.bestEpoch, iterations: r.iterations,
    trainSeconds: r.trainSeconds, evalSeconds: r.evalSeconds,
  };
}

/** Runs IMP (rewindIteration 0) or LTR (k > 0) to the target sparsity; see the file comment. */
export async function runImp(request: ImpRequest): Promise<ImpResult> {
  const { model, prunable, data, config, outDir } = request;
  const sparsity = validateSparsity(request.sparsity);
  const pruneFraction = validatePruneFraction(request.pruneFraction ?? IMP_DEFAULT_PRUNE_FRACTION);
  const rewindIteration = request.rewindIteration ?? 0;
  if (!Number.isSafeInteger(rewindIteration) || rewindIteration < 0) {
    throw new RangeError(`rewindIteration must be an integer >= 0, got ${rewindIteration}`);
  }
  const selection = { layerwise: request.layerwise ?? false, minPerLayer: validateMinPerLayer(request.minPerLayer) };
  checkPrunable(model, prunable);
  const perRound = roundIterations(config, data.train.count);
  if (rewindIteration > 0 && !(rewindIteration < perRound)) {
    throw new RangeError(`rewindIteration ${rewindIteration} must be less than the ${perRound} iterations of a round`);
  }
  const method: ImpSummary['method'] = rewindIteration > 0 ? 'ltr' : 'imp';
  const n = prunable.reduce((a, p) => a + sizeOfShape(p.shape), 0);
  const counts = impKeptCounts(n, sparsity, pruneFraction);
  const rounds = counts.length;
  const theta0 = snapshotWeights(model);
  const settings = { method, sparsity, pruneFraction, rewindIteration, ...selection };
  const fingerprint = runFingerprint({ modelName: model.name, settings, config, data, theta0 });
  const meta: MaskMeta = { ...request.meta, ...settings, model: model.name };
  const emit = (e: ImpEvent) => request.onEvent?.(e);
  const trainEvents = (stage: number | 'ticket') => (event: TrainEvent) => emit({ type: 'train', stage, event });
  const stageDir = (r: number) => (outDir ? path.join(outDir, `round-${r}`) : undefined);
  const rewindFile = () => path.join(stageDir(1)!, 'train', 'weights', `iter-${rewindIteration}.kdt`);

  let mask = Mask.ones(prunable);
  let rewindTo: TensorBundle = theta0;
  const records: ImpRound[] = [];
  for (let r = 1; r <= rounds; r++) {
    const stage = stageDir(r);
    const done = stage ? readJsonIfExists<ImpRound>(path.join(stage, IMP_ROUND_FILE)) : undefined;
    if (done) {
      if (done.fingerprint !== fingerprint) {
        throw new Error(`${path.join(stage!, IMP_ROUND_FILE)}: written by an IMP run with other settings (fingerprint ${done.fingerprint}, this run ${fingerprint}); use another directory`);
      }
      const next = loadMask(path.join(stage!, IMP_PRUNED_MASK_FILE)).mask;
      next.checkMatches(prunable);
      if (r === 1 && rewindIteration > 0) rewindTo = readBundle(rewindFile()).tensors;
      mask = next;
      records.push(done);
      emit({ type: 'round-done', round: r, rounds, record: done, skipped: true });
      continue;
    }
    emit({ type: 'round-start', round: r, rounds, kept: mask.count(), density: mask.density() });
    restoreWeights(model, r === 1 ? theta0 : rewindTo, 'IMP rewind point');
    mask.applyTo(prunable);
    if (r > 1) emit({ type: 'rewound', before: r, mask });
    if (stage) saveMask(path.join(stage, IMP_ROUND_MASK_FILE), mask, { ...meta, round: r, kept: mask.count() });
    const early = r === 1 && rewindIteration > 0;
    let captured: TensorBundle | undefined;
    const result = await train({
      model, prunable, data, config,
      mask: r === 1 ? undefined : mask.toMap(), // round 1 is dense: no mask to multiply by
      outDir: stage && path.join(stage, 'train'),
      saveWeightsAt: early ? [rewindIteration] : undefined,
      onWeights: early ? (_it, w) => void (captured = w) : undefined,
      onEvent: trainEvents(r), signal: request.signal, logEvery: request.logEvery,
    });
    // A round-1 run found finished on disk hands no snapshot over: read θ_k from its file.
    if (early) rewindTo = captured ?? readBundle(rewindFile()).tensors;

    const t0 = performance.now();
    const next = pruneSurvivors(prunable, mask, counts[r - 1], selection);
    const pruneSeconds = (performance.now() - t0) / 1000;
    const record: ImpRound = {
      round: r, kept: mask.count(), density: mask.density(), prunedKept: next.count(), prunedDensity: next.density(),
      finalAccuracy: result.finalAccuracy, bestAccuracy: result.bestAccuracy, bestEpoch: result.bestEpoch,
      iterations: result.iterations, epochEquivalents: result.iterations / numBatches(data.train.count, config.batchSize, config.dropLast),
      trainSeconds: result.trainSeconds, evalSeconds: result.evalSeconds, pruneSeconds, seconds: result.trainSeconds + pruneSeconds,
      fingerprint,
    };
    if (stage) {
      saveMask(path.join(stage, IMP_PRUNED_MASK_FILE), next, { ...meta, round: r, kept: next.count() });
      writeJsonAtomic(path.join(stage, IMP_ROUND_FILE), record);
    }
    mask = next;
    records.push(record);
    emit({ type: 'round-done', round: r, rounds, record, skipped: false });
  }

  // The ticket: the survivors at the rewind point.
  restoreWeights(model, rewindTo, 'IMP rewind point');
  mask.applyTo(prunable);
  emit({ type: 'rewound', before: 'ticket', mask });
  if (outDir) saveMask(path.join(outDir, 'mask.kmask'), mask, { ...meta, rounds, kept: mask.count() });
  let ticket: ImpTicket | undefined;
  if (request.trainTicket ?? true) {
    const result = await train({
      model, prunable, data, config, mask: mask.toMap(), outDir: outDir && path.join(outDir, IMP_TICKET_DIR),
      onEvent: trainEvents('ticket'), signal: request.signal, logEvery: request.logEvery,
    });
    ticket = ticketOf(result);
  }
  const summary: ImpSummary = {
    ...settings, fingerprint, size: n, kept: mask.count(), density: mask.density(), rounds: records,
    timeToTicketSeconds: records.reduce((a, r) => a + r.seconds, 0),
    epochEquivalents: records.reduce((a, r) => a + r.epochEquivalents, 0),
    ...(ticket ? { ticket } : {}),
  };
  if (outDir) writeJsonAtomic(path.join(outDir, IMP_SUMMARY_FILE), summary);
  emit({ type: 'done', summary });
  return { mask, summary };
}

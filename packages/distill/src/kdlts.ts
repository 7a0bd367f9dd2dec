// KD-LTS end to end (METHOD.md): the teacher ensemble, the search, the mask, and (optionally) the
// ticket's training, as resumable stages of one run directory, like runImp for IMP:
//   teachers/teacher-<t>/   each teacher's training run (train() resumes it; a finished one is loaded)
//   rewind.kdt              θ_t for the early-ticket variant (teacher 0's weights after t steps)
//   mask.kmask              the searched mask, and search.json its record (written last: the search is done)
//   ticket/                 the ticket's training from θ0 (or θ_t) under the mask
//   kdlts.json              the summary: time breakdown, epoch-equivalents, ticket accuracy
// The early-ticket variant searches at θ_t, the weights after t steps of dense training from θ0.
// Teacher 0 is exactly such a run (from θ0 on its own data order), so θ_t is its snapshot at step t:
// the variant costs no extra training. It needs teachers from θ0 (not independentInit).
import * as path from 'path';
import { numBatches } from '@kdlts/data';
import { buildWithTaps, getModelSpec, type PrunableWeight } from '@kdlts/models';
import { loadMask, Mask, runFingerprint, saveMask, type MaskMeta } from '@kdlts/prune';
import {
  prepare, readJsonIfExists, resolveStats, restoreWeights, snapshotWeights, train, writeBundle, writeJsonAtomic,
  type TensorBundle, type TrainConfig, type TrainData, type TrainEvent,
} from '@kdlts/train';

import { resolveSearchConfig, searchMask, type SearchConfig, type SearchStep } from './search';
import { trainTeachers, type Teacher } from './teachers';

export const KDLTS_SUMMARY_FILE = 'kdlts.json';
export const KDLTS_SEARCH_FILE = 'search.json';
export const KDLTS_MASK_FILE = 'mask.kmask';
export const KDLTS_REWIND_FILE = 'rewind.kdt';
export const KDLTS_TEACHERS_DIR = 'teachers';
export const KDLTS_TICKET_DIR = 'ticket';
export const KDLTS_DEFAULT_TEACHERS = 3;
export const KDLTS_DEFAULT_TEACHER_EPOCHS = 1;

export interface KdltsRequest {
  /** Model name in the @kdlts/models registry: the student and every teacher are built from it. */
  model: string;
  /** Seed of θ0. */
  modelSeed: number;
  data: TrainData;
  /** 0 < sparsity < 1. */
  sparsity: number;
  /** The model's training: the ticket's, and (with the length set to teacherEpochs) each teacher's. */
  config: TrainConfig;
  /** Teachers T (default 3) and their epochs E (default 1; fractions allowed through iterations). */
  teachers?: number;
  teacherEpochs?: number;
  independentInit?: boolean;
  /** Train up to this many teachers at a time in worker processes (default 1: in-process). */
  workers?: number;
  /** The search's settings (steps, lr, batch size, loss weights, ...); its seed defaults to config.seed. */
  search?: Omit<SearchConfig, 'sparsity'>;
  /** 0 (default): a ticket at θ0. t > 0: the early-ticket variant at θ_t (t <= a teacher's iterations). */
  rewindIteration?: number;
  /** Train the ticket from its rewind point under the mask (default true). */
  trainTicket?: boolean;
  outDir?: string;
  /**
   * Where the teacher stages live (default <outDir>/teachers). Runs that differ only in sparsity
   * or search settings can share them; each run still counts the teachers' full training time.
   */
  teachersDir?: string;
  meta?: MaskMeta;
  onEvent?: (event: KdltsEvent) => void;
  signal?: AbortSignal;
  logEvery?: number;
}

export type KdltsEvent =
  | { type: 'teachers-start'; count: number; epochs: number }
  | { type: 'teacher'; teacher: number; event: TrainEvent }
  | { type: 'teachers-done'; seconds: number; accuracies: number[] }
  | { type: 'search-start'; steps: number }
  | { type: 'search-step'; step: Omit<SearchStep, 'scores'>; steps: number }
  | { type: 'search-done'; seconds: number; skipped: boolean }
  | { type: 'ticket'; event: TrainEvent }
  | { type: 'done'; summary: KdltsSummary };

/** search.json: the search's record (its loss curve subsampled to at most ~200 points). */
export interface KdltsSearchRecord {
  fingerprint: string;
  steps: number;
  k: number;
  n: number;
  seconds: number;
  /** steps × batch size / training-set size: student forward + backward passes (teachers' forwards not counted). */
  epochEquivalents: number;
  firstLoss: number;
  finalLoss: number;
  history: { step: number; loss: number; response: number; feature: number; relation: number; straightThrough: boolean }[];
}

/** kdlts.json. */
export interface KdltsSummary {
  method: 'kdlts';
  fingerprint: string;
  sparsity: number;
  rewindIteration: number;
  size: number;
  kept: number;
  density: number;
  teachers: {
    count: number;
    epochs: number;
    independentInit: boolean;
    workers: number;
    /** Σ of the teachers' training-step seconds (evaluation excluded; across resumes). */
    seconds: number;
    epochEquivalents: number;
    finalAccuracies: number[];
  };
  search: Omit<KdltsSearchRecord, 'history' | 'fingerprint'>;
  /** teachers.seconds + search.seconds: the time breakdown's total (the ticket's training excluded). */
  timeToTicketSeconds: number;
  epochEquivalents: number;
  ticket?: { finalAccuracy: number; bestAccuracy: number; bestEpoch: number; iterations: number; trainSeconds: number; evalSeconds: number };
}

export interface KdltsResult {
  mask: Mask;
  summary: KdltsSummary;
}

function validate(r: KdltsRequest): { count: number; epochs: number; rewindIteration: number; workers: number } {
  const count = r.teachers ?? KDLTS_DEFAULT_TEACHERS;
  const epochs = r.teacherEpochs ?? KDLTS_DEFAULT_TEACHER_EPOCHS;
  const rewindIteration = r.rewindIteration ?? 0;
  const workers = r.workers ?? 1;
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`teachers must be a positive integer, got ${count}`);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`teacherEpochs must be a positive integer, got ${epochs}`);
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a positive integer, got ${workers}`);
  if (!(Number.isSafeInteger(rewindIteration) && rewindIteration >= 0)) throw new RangeError(`rewindIteration must be an integer >= 0, got ${rewindIteration}`);
  if (rewindIteration > 0 && r.independentInit) {
    throw new RangeError('rewindIteration needs teachers trained from θ0 (θ_t is teacher 0\'s snapshot): drop independentInit');
  }
  return { count, epochs, rewindIteration, workers };
}

/** Every 1 in ceil(steps/200) steps, and the last. */
function subsample<T>(items: T[]): T[] {
  const every = Math.max(1, Math.ceil(items.length / 200));
  return items.filter((_, i) => i % every === 0 || i === items.length - 1);
}

export async function runKdlts(request: KdltsRequest): Promise<KdltsResult> {
  const { data, outDir } = request;
  const { count, epochs, rewindIteration, workers } = validate(request);
  const spec = getModelSpec(request.model);
  const shape = { inputShape: data.train.shape, numClasses: data.train.numClasses };
  const student = buildWithTaps(request.model, { seed: request.modelSeed, ...shape });
  const emit = (e: KdltsEvent) => request.onEvent?.(e);
  let teachers: Teacher[] = [];
  try {
    const prunable: PrunableWeight[] = spec.prunableWeights(student.model);
    const theta0 = snapshotWeights(student.model);
    const { iterations: _ticketIterations, ...ticketConfig } = request.config;
    const teacherConfig: TrainConfig = { ...ticketConfig, epochs };
    const teacherIterations = epochs * numBatches(data.train.count, teacherConfig.batchSize, teacherConfig.dropLast);
    if (rewindIteration > teacherIterations) {
      throw new RangeError(`rewindIteration ${rewindIteration} exceeds the ${teacherIterations} iterations of a teacher's ${epochs} epoch(s)`);
    }
    const searchConfig: SearchConfig = { seed: request.config.seed ?? 0, ...request.search, sparsity: request.sparsity };
    const settings = {
      method: 'kdlts', sparsity: request.sparsity, teachers: count, teacherEpochs: epochs, independentInit: request.independentInit ?? false,
      // Resolved: a run whose settings only differ by a changed default gets another fingerprint.
      rewindIteration, search: resolveSearchConfig(searchConfig),
    };
    const fingerprint = runFingerprint({ modelName: request.model, settings, config: request.config, data, theta0 });
    const meta: MaskMeta = { ...request.meta, method: 'kdlts', model: request.model, modelSeed: request.modelSeed, sparsity: request.sparsity, rewindIteration };
    const file = (name: string) => (outDir ? path.join(outDir, name) : undefined);

    // 1. The teachers (resumable stages), and θ_t from teacher 0.
    emit({ type: 'teachers-start', count, epochs });
    let rewind: TensorBundle | undefined;
    teachers = await trainTeachers({
      model: request.model, modelSeed: request.modelSeed, ...shape, count, data, config: teacherConfig,
      independentInit: request.independentInit, workers, outDir: request.teachersDir ?? file(KDLTS_TEACHERS_DIR), signal: request.signal,
      rewindIteration: rewindIteration > 0 ? rewindIteration : undefined,
      onEvent: (teacher, event) => emit({ type: 'teacher', teacher, event }),
    });
    const teacherSeconds = teachers.reduce((a, t) => a + t.result.trainSeconds, 0);
    emit({ type: 'teachers-done', seconds: teacherSeconds, accuracies: teachers.map((t) => t.result.finalAccuracy) });
    if (rewindIteration > 0) {
      rewind = teachers[0].rewindWeights;
      if (!rewind) throw new Error(`teacher 0 did not keep its weights at iteration ${rewindIteration}`);
      if (outDir) await writeBundle(file(KDLTS_REWIND_FILE)!, rewind, { iteration: rewindIteration, source: 'teacher-0' });
      restoreWeights(student.model, rewind, 'KD-LTS rewind point θ_t');
    }

    // 2. The search (one stage: short, not checkpointed; a finished one is loaded).
    const searchFile = file(KDLTS_SEARCH_FILE);
    const found = searchFile ? readJsonIfExists<KdltsSearchRecord>(searchFile) : undefined;
    let mask: Mask;
    let search: KdltsSearchRecord;
    if (found) {
      if (found.fingerprint !== fingerprint) {
        throw new Error(`${searchFile}: written by a KD-LTS run with other settings (fingerprint ${found.fingerprint}, this run ${fingerprint}); use another directory`);
      }
      mask = loadMask(file(KDLTS_MASK_FILE)!).mask;
      mask.checkMatches(prunable);
      search = found;
      emit({ type: 'search-done', seconds: found.seconds, skipped: true });
    } else {
      const steps = searchConfig.steps ?? 200;
      emit({ type: 'search-start', steps });
      const searchData = prepare(data.train, resolveStats(data.train, data.stats));
      const result = await searchMask({
        student: student.tapModel, model: student.model, prunable, teachers: teachers.map((t) => t.tapModel), data: searchData,
        config: searchConfig,
        onStep: (s) => {
          const { scores: _scores, ...step } = s;
          emit({ type: 'search-step', step, steps });
        },
      });
      mask = new Mask(prunable.map((p) => ({ name: p.name, shape: p.shape, bits: result.mask.get(p.name)! })));
      const batchSize = searchConfig.batchSize ?? 128;
      search = {
        fingerprint, steps, k: result.k, n: result.n, seconds: result.seconds,
        epochEquivalents: (steps * batchSize) / data.train.count,
        firstLoss: result.history[0]?.loss ?? NaN, finalLoss: result.history[result.history.length - 1]?.loss ?? NaN,
        history: subsample(result.history),
      };
      if (outDir) {
        saveMask(file(KDLTS_MASK_FILE)!, mask, { ...meta, kept: mask.count() });
        writeJsonAtomic(searchFile!, search);
      }
      emit({ type: 'search-done', seconds: result.seconds, skipped: false });
    }

    // 3. The ticket: the survivors at θ0 (or θ_t), trained under the mask.
    let ticket: KdltsSummary['ticket'];
    if (request.trainTicket ?? true) {
      restoreWeights(student.model, rewind ?? theta0, 'KD-LTS rewind point');
      mask.applyTo(prunable);
      const r = await train({
        model: student.model, prunable, data, config: request.config, mask: mask.toMap(), outDir: file(KDLTS_TICKET_DIR),
        onEvent: (event) => emit({ type: 'ticket', event }), signal: request.signal, logEvery: request.logEvery,
      });
      ticket = {
        finalAccuracy: r.finalAccuracy, bestAccuracy: r.bestAccuracy, bestEpoch: r.bestEpoch, iterations: r.iterations,
        trainSeconds: r.trainSeconds, evalSeconds: r.evalSeconds,
      };
    }
    const teacherEpochEquivalents = count * epochs;
    const { history: _h, fingerprint: _f, ...searchSummary } = search;
    const summary: KdltsSummary = {
      method: 'kdlts', fingerprint, sparsity: request.sparsity, rewindIteration, size: mask.size, kept: mask.count(), density: mask.density(),
      teachers: {
        count, epochs, independentInit: request.independentInit ?? false, workers, seconds: teacherSeconds,
        epochEquivalents: teacherEpochEquivalents, finalAccuracies: teachers.map((t) => t.result.finalAccuracy),
      },
      search: searchSummary,
      timeToTicketSeconds: teacherSeconds + search.seconds,
      epochEquivalents: teacherEpochEquivalents + search.epochEquivalents,
      ...(ticket ? { ticket } : {}),
    };
    if (outDir) writeJsonAtomic(file(KDLTS_SUMMARY_FILE)!, summary);
    emit({ type: 'done', summary });
    return { mask, summary };
  } finally {
    for (const t of teachers) t.model.dispose();
    student.model.dispose();
  }
}

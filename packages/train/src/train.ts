// The training loop: a model plus an optional mask, SGD (momentum / Nesterov / weight decay) under
// a learning-rate schedule, evaluation per epoch, rewind snapshots at chosen iterations, and -- with
// an output directory -- an atomic checkpoint every epoch, resume after a kill, a JSON-lines log
// and result.json. Same seed, same data order, same result, also across a resume.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { numBatches } from '@kdlts/data';
import { kernelWeights, type PrunableWeight } from '@kdlts/models';

import { readJsonIfExists, writeJsonAtomic } from './atomic';
import { epochOrder, prepare, resolveStats, trainBatch } from './batches';
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint, type LoopState } from './checkpoint';
import { evaluate, labelTensor, lossAndCorrect } from './evaluate';
import { applyMaskTensors, maskDensity, maskTensors, type WeightMask } from './mask';
import { jsonLinesReporter, type EventSink } from './reporters';
import { learningRate, validateSchedule, type LrSchedule } from './schedule';
import { MaskedSgd } from './sgd';
import type { TensorBundle } from './tensor-file';
import type { EpochRecord, TrainConfig, TrainData, TrainEvent, TrainResult } from './types';
import { loadWeights, namedWeights, saveWeights, snapshotWeights } from './weights';

export const RESULT_FILE = 'result.json';
export const LOG_FILE = 'log.jsonl';
export const FINAL_WEIGHTS_FILE = 'final.kdt';

export interface TrainOptions {
  model: tfl.LayersModel;
  data: TrainData;
  config: TrainConfig;
  /** Keyed by prunable weight name; masked weights are zeroed at the start and stay exactly 0. */
  mask?: WeightMask;
  /** The weights the mask refers to (default: the model's conv and dense kernels). */
  prunable?: PrunableWeight[];
  /**
   * Run directory: checkpoint.kdt (every epoch), log.jsonl, result.json, final.kdt and
   * weights/iter-N.kdt. Without it nothing is written and nothing resumes.
   */
  outDir?: string;
  /** With outDir: ignore (and replace) an earlier checkpoint or result there. Default false. */
  fresh?: boolean;
  /** Iterations (0 = before the first step) whose weights are saved (weights/iter-N.kdt and/or onWeights). */
  saveWeightsAt?: number[];
  onWeights?: (iteration: number, weights: TensorBundle) => void;
  onEvent?: EventSink;
  /** Emit an 'iteration' event every this many steps (default 50). */
  logEvery?: number;
  /** Stops the run between steps (throws TrainingAborted); the last checkpoint stays. */
  signal?: AbortSignal;
}

export class TrainingAborted extends Error {
  constructor(readonly iteration: number) {
    super(`training aborted at iteration ${iteration}`);
    this.name = 'TrainingAborted';
  }
}

function positiveInt(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

function validate(o: TrainOptions): void {
  const c = o.config;
  positiveInt('batchSize', c.batchSize);
  if (c.batchSize === undefined) throw new RangeError('batchSize is required');
  if ((c.epochs === undefined) === (c.iterations === undefined)) throw new RangeError('give exactly one of epochs and iterations');
  positiveInt('epochs', c.epochs);
  positiveInt('iterations', c.iterations);
  positiveInt('evalEvery', c.evalEvery);
  positiveInt('evalBatchSize', c.evalBatchSize);
  positiveInt('logEvery', o.logEvery);
  if (c.seed !== undefined && !Number.isInteger(c.seed)) throw new RangeError(`seed must be an integer, got ${c.seed}`);
  if (o.data.train.count === 0) throw new RangeError('the training split is empty');
  for (const it of o.saveWeightsAt ?? []) {
    if (!(Number.isInteger(it) && it >= 0)) throw new RangeError(`saveWeightsAt entries must be integers >= 0, got ${it}`);
  }
  if (o.saveWeightsAt?.length && !o.outDir && !o.onWeights) throw new RangeError('saveWeightsAt needs outDir or onWeights');
  const inShape = o.model.inputs[0].shape.slice(1).map(Number);
  const dataShape = o.data.train.shape;
  const sameSize = inShape.reduce((a, b) => a * b, 1) === dataShape.reduce((a, b) => a * b, 1);
  if (!sameSize || (inShape.length !== 3 && inShape.length !== 1)) {
    throw new RangeError(`model '${o.model.name}' takes inputs [${inShape}], the data has images [${dataShape}]`);
  }
}

function digest(h: ReturnType<typeof createHash>, a: ArrayBufferView): void {
  h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** What identifies a run: model and its starting weights, mask, data, and every setting that changes the result. */
function fingerprintOf(o: TrainOptions, iterationsPerEpoch: number, totalIterations: number): string {
  const h = createHash('sha256');
  const c = o.config;
  h.update(JSON.stringify({
    model: o.model.name,
    config: {
      lr: c.lr, schedule: c.schedule ?? { type: 'constant' }, warmup: c.warmupIterations ?? 0, batchSize: c.batchSize,
      momentum: c.momentum ?? 0, nesterov: c.nesterov ?? false, weightDecay: c.weightDecay ?? 0, seed: c.seed ?? 0,
      augment: c.augment ?? false, dropLast: c.dropLast ?? false, evalEvery: c.evalEvery ?? 1,
    },
    iterationsPerEpoch, totalIterations,
    data: { count: o.data.train.count, shape: o.data.train.shape, classes: o.data.train.numClasses, testCount: o.data.test?.count ?? 0, stats: o.data.stats ?? null },
  }));
  for (const [name, t] of snapshotWeights(o.model)) {
    h.update(name);
    digest(h, t.values);
  }
  for (const [name, bits] of o.mask ?? new Map<string, Uint8Array>()) {
    h.update(name);
    digest(h, bits);
  }
  digest(h, o.data.train.labels);
  digest(h, o.data.train.images.subarray(0, Math.min(o.data.train.images.length, 1 << 16)));
  return h.digest('hex').slice(0, 16);
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  validate(options);
  const { model, config } = options;
  const seed = config.seed ?? 0;
  const evalEvery = config.evalEvery ?? 1;
  const logEvery = options.logEvery ?? 50;
  const trainSet = options.data.train;
  const iterationsPerEpoch = numBatches(trainSet.count, config.batchSize, config.dropLast);
  if (iterationsPerEpoch === 0) throw new RangeError(`batchSize ${config.batchSize} with dropLast leaves no batch of ${trainSet.count} samples`);
  const totalIterations = config.iterations ?? config.epochs! * iterationsPerEpoch;
  const totalEpochs = Math.ceil(totalIterations / iterationsPerEpoch);
  const schedule: LrSchedule = {
    lr: config.lr, schedule: config.schedule ?? { type: 'constant' }, warmupIterations: config.warmupIterations, totalIterations,
  };
  validateSchedule(schedule);

  const prunable = options.prunable ?? kernelWeights(model);
  const masks = options.mask ? maskTensors(options.mask, prunable) : new Map<string, tf.Tensor>();
  const sinks: EventSink[] = [];
  try {
    applyMaskTensors(masks, prunable);
    const fingerprint = fingerprintOf(options, iterationsPerEpoch, totalIterations);
    const outDir = options.outDir;
    if (outDir) {
      fs.mkdirSync(outDir, { recursive: true });
      if (options.fresh) {
        for (const f of [CHECKPOINT_FILE, RESULT_FILE, LOG_FILE, FINAL_WEIGHTS_FILE]) fs.rmSync(path.join(outDir, f), { force: true });
      }
      const done = readJsonIfExists<TrainResult>(path.join(outDir, RESULT_FILE));
      if (done?.completed && done.fingerprint === fingerprint && fs.existsSync(path.join(outDir, FINAL_WEIGHTS_FILE))) {
        loadWeights(model, path.join(outDir, FINAL_WEIGHTS_FILE));
        options.onEvent?.({ type: 'done', result: done });
        return done;
      }
      sinks.push(jsonLinesReporter(path.join(outDir, LOG_FILE)));
    }
    if (options.onEvent) sinks.push(options.onEvent);
    const emit = (e: TrainEvent) => sinks.forEach((s) => s(e));

    const params = namedWeights(model)
      .filter((w) => w.trainable)
      .map((w) => ({ name: w.name, variable: w.variable.read() as tf.Variable, mask: masks.get(w.name) }));
    const optimizer = new MaskedSgd(params, config);
    try {
      const restored = outDir ? loadCheckpoint(outDir, fingerprint, model, optimizer) : undefined;
      const state: LoopState = restored ?? { epoch: 0, iteration: 0, history: [], trainSeconds: 0, evalSeconds: 0 };
      const resumedFromEpoch = restored ? state.epoch : 0;
      emit({ type: 'start', fingerprint, totalIterations, iterationsPerEpoch, epochs: totalEpochs, resumedFromEpoch });

      const stats = resolveStats(trainSet, options.data.stats);
      const testSet = options.data.test ? prepare(options.data.test, stats) : undefined;
      // Without augmentation every batch is a slice of the normalised split: normalise it once.
      const augmenting = config.augment ?? false;
      const batchSource = augmenting ? trainSet : prepare(trainSet, stats);
      const batchStats = augmenting ? stats : undefined;
      const snapshotAt = new Set(options.saveWeightsAt ?? []);
      const saveSnapshot = async (iteration: number) => {
        if (!snapshotAt.has(iteration)) return;
        if (options.onWeights) options.onWeights(iteration, snapshotWeights(model));
        if (outDir) {
          const file = path.join(outDir, 'weights', `iter-${iteration}.kdt`);
          await saveWeights(model, file, { iteration });
          emit({ type: 'weights-saved', iteration, file });
        }
      };
      const trainVars = params.map((p) => p.variable);
      const inputShape = model.inputs[0].shape.slice(1).map(Number);

      while (state.iteration < totalIterations) {
        const epoch = state.epoch; // 0-based index of the epoch being run
        const order = epochOrder(trainSet.count, seed, epoch);
        const steps = Math.min(iterationsPerEpoch, totalIterations - epoch * iterationsPerEpoch);
        let lossSum = 0;
        let correct = 0;
        let seen = 0;
        let lr = 0;
        let stepSeconds = 0;
        for (let b = 0; b < steps; b++) {
          if (options.signal?.aborted) throw new TrainingAborted(state.iteration);
          await saveSnapshot(state.iteration);
          const t0 = performance.now();
          const batch = trainBatch(batchSource, order, b, config.batchSize, { seed, epoch, augment: augmenting, stats: batchStats });
          lr = learningRate(schedule, state.iteration);
          const x = tf.tensor(batch.images, [batch.size, ...inputShape]);
          const y = labelTensor(batch.labels);
          const onehot = tf.oneHot(y, trainSet.numClasses);
          let logits: tf.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            logits = tf.keep(model.apply(x, { training: true }) as tf.Tensor);
            return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
          }, trainVars);
          optimizer.step(grads, lr);
          const r = lossAndCorrect(logits!, y, trainSet.numClasses);
          tf.dispose([x, y, onehot, logits!, value, ...Object.values(grads)]);
          stepSeconds += (performance.now() - t0) / 1000;
          if (!Number.isFinite(r.lossSum)) throw new Error(`training diverged: the loss is ${r.lossSum} at iteration ${state.iteration} (lr ${lr})`);
          lossSum += r.lossSum;
          correct += r.correct;
          seen += batch.size;
          state.iteration++;
          if (state.iteration % logEvery === 0 || state.iteration === totalIterations) {
            emit({ type: 'iteration', iteration: state.iteration, epoch: epoch + 1, loss: r.lossSum / batch.size, lr, totalIterations });
          }
        }
        const last = state.iteration === totalIterations;
        const record: EpochRecord = {
          epoch: epoch + 1, iteration: state.iteration, lr, trainLoss: lossSum / seen, trainAccuracy: correct / seen,
          trainSeconds: stepSeconds, evalSeconds: 0,
        };
        if (testSet && ((epoch + 1) % evalEvery === 0 || last)) {
          const t0 = performance.now();
          const ev = evaluate(model, testSet, config.evalBatchSize);
          record.testLoss = ev.loss;
          record.testAccuracy = ev.accuracy;
          record.evalSeconds = (performance.now() - t0) / 1000;
        }
        state.epoch++;
        state.history.push(record);
        state.trainSeconds += record.trainSeconds;
        state.evalSeconds += record.evalSeconds;
        emit({ type: 'epoch', totalEpochs, ...record });
        if (outDir) {
          const file = await saveCheckpoint(outDir, fingerprint, model, optimizer, state);
          emit({ type: 'checkpoint', epoch: state.epoch, iteration: state.iteration, file });
        }
      }
      await saveSnapshot(state.iteration);

      const evaluated = state.history.filter((r) => r.testAccuracy !== undefined);
      const best = evaluated.reduce<EpochRecord | undefined>((b, r) => (b === undefined || r.testAccuracy! > b.testAccuracy! ? r : b), undefined);
      // Images stepped on: whole epochs, then the steps of a last partial epoch (full batches).
      const perEpoch = config.dropLast ? iterationsPerEpoch * config.batchSize : trainSet.count;
      const done = state.iteration;
      const images = Math.floor(done / iterationsPerEpoch) * perEpoch + (done % iterationsPerEpoch) * config.batchSize;
      const result: TrainResult = {
        completed: true,
        fingerprint,
        epochs: state.epoch,
        iterations: state.iteration,
        history: state.history,
        finalAccuracy: state.history.at(-1)?.testAccuracy ?? NaN,
        bestAccuracy: best?.testAccuracy ?? NaN,
        bestEpoch: best?.epoch ?? 0,
        trainSeconds: state.trainSeconds,
        evalSeconds: state.evalSeconds,
        imagesPerSecond: state.trainSeconds > 0 ? images / state.trainSeconds : 0,
        density: maskDensity(options.mask),
        resumedFromEpoch,
      };
      if (outDir) {
        await saveWeights(model, path.join(outDir, FINAL_WEIGHTS_FILE), { iteration: state.iteration });
        writeJsonAtomic(path.join(outDir, RESULT_FILE), result);
      }
      emit({ type: 'done', result });
      return result;
    } finally {
      optimizer.dispose();
    }
  } finally {
    for (const m of masks.values()) m.dispose();
  }
}

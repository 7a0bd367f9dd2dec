// The scaling benchmark: how one KD-LTS search step, one training step and one IMP prune grow with
// a model's width (BuildOptions.width), and the time-to-ticket ratio IMP / KD-LTS those costs
// predict. Measured on the `kdlts` backend on synthetic data shaped like the model's dataset;
// epochs and IMP rounds are extrapolated from per-step medians (steps per epoch x step time).
// Usage: node dist/scaling.js [--model lenet300|conv4|...] [--widths 1,2,4] [--batch-size N]
//   [--train-size N] [--timed-set N] [--warmup N] [--train-steps N] [--search-steps N] [--repeats N] [--out FILE]
import * as os from 'os';
import * as v8 from 'v8';
import * as vm from 'vm';

import { useBackend } from '@kdlts/backend';
import { formatTable } from '@kdlts/cli';
import { mulberry32, syntheticDataset, type Dataset, type ImageShape } from '@kdlts/data';
import { searchMask } from '@kdlts/distill';
import { MODEL_NAMES, buildModel, buildWithTaps, countParams, getModelSpec, isModelName, kernelWeights, type ModelName } from '@kdlts/models';
import { impRounds, Mask, pruneSurvivors } from '@kdlts/prune';
import { prepare, presetToConfig, resolveStats, train, trainPreset, type WeightMask } from '@kdlts/train';

import { describeMachine, machineLine } from './machine';
import { eachFlag, positiveArg } from './args';
import { defaultResultsPath, writeJsonAtomic } from './results';

// ---- options --------------------------------------------------------------------------------

export interface ScalingOptions {
  model: ModelName;
  widths: number[];
  /** Batch of the training steps and of the search steps (default: the model's preset batch). */
  batchSize: number;
  /** N_train: the training-set size epochs are extrapolated to (default 60,000 for 28x28 inputs, 50,000 else). */
  trainSize: number;
  /** Images in the synthetic set the steps are actually timed on. */
  timedSet: number;
  /** Untimed steps before each timed series. */
  warmup: number;
  trainSteps: number;
  searchSteps: number;
  /** Rounds over all widths (interleaved, so a load change hits every width alike); each number is the median over them. */
  repeats: number;
  out: string;
}

const USAGE =
  'usage: scaling.js [--model lenet300|conv4|...] [--widths 1,2,4] [--batch-size N] [--train-size N] [--timed-set N]\n' +
  '                  [--warmup N] [--train-steps N] [--search-steps N] [--repeats N] [--out FILE]';

/** The grid the predictions are made on (the brief's). */
export const GRID = { teachers: [1, 3, 5], teacherEpochs: [1, 2, 5], searchSteps: [100, 200, 500], sparsities: [0.9, 0.95], pruneFraction: 0.2 };
/** Teacher counts the search step is timed with (the grid's): its cost is fitted as a + b T. */
const TIMED_TEACHERS = GRID.teachers;
/** Step counts: LeNet's steps take milliseconds; a conv net's take ~0.1-2 s on a 2-core CPU. */
const PROFILES = {
  fast: { warmup: 5, trainSteps: 60, searchSteps: 40, repeats: 5 },
  slow: { warmup: 2, trainSteps: 8, searchSteps: 6, repeats: 1 },
};
const SEARCH_SPARSITY = 0.9;
const SEED = 1;

export function parseScalingOptions(argv: string[]): ScalingOptions {
  const set: Partial<ScalingOptions> = {};
  const positive = (flag: string, v: string, integer: boolean) => positiveArg(flag, v, integer, USAGE);
  eachFlag(argv, USAGE, (flag, value) => {
    if (flag === '--model') {
      const m = value();
      if (!isModelName(m)) throw new Error(`unknown model '${m}' (known: ${MODEL_NAMES.join(', ')})\n${USAGE}`);
      set.model = m;
    } else if (flag === '--widths') set.widths = value().split(',').filter(Boolean).map((w) => positive(flag, w, false));
    else if (flag === '--batch-size') set.batchSize = positive(flag, value(), true);
    else if (flag === '--train-size') set.trainSize = positive(flag, value(), true);
    else if (flag === '--timed-set') set.timedSet = positive(flag, value(), true);
    else if (flag === '--warmup') set.warmup = positive(flag, value(), true);
    else if (flag === '--train-steps') set.trainSteps = positive(flag, value(), true);
    else if (flag === '--search-steps') set.searchSteps = positive(flag, value(), true);
    else if (flag === '--repeats') set.repeats = positive(flag, value(), true);
    else if (flag === '--out') set.out = value();
    else return false;
    return true;
  });
  const model = set.model ?? 'lenet300';
  const shape = getModelSpec(model).defaultInputShape;
  if (set.widths && !set.widths.length) throw new Error(`--widths needs at least one width\n${USAGE}`);
  const profile = model === 'lenet300' ? PROFILES.fast : PROFILES.slow;
  return {
    model,
    widths: set.widths ?? [1, 2, 4],
    batchSize: set.batchSize ?? trainPreset(model).batchSize,
    trainSize: set.trainSize ?? (shape.join('x') === '28x28x1' ? 60_000 : 50_000),
    timedSet: set.timedSet ?? 2048,
    warmup: set.warmup ?? profile.warmup,
    trainSteps: set.trainSteps ?? profile.trainSteps,
    searchSteps: set.searchSteps ?? profile.searchSteps,
    repeats: set.repeats ?? profile.repeats,
    out: set.out ?? defaultResultsPath('scaling'),
  };
}

// ---- measurements ---------------------------------------------------------------------------

export interface WidthMeasurement {
  width: number;
  /** Prunable weights (conv and dense kernels). */
  n: number;
  params: number;
  stepsPerEpoch: number;
  /** Median ms of a dense training step (forward, backward, SGD momentum) at the batch size. */
  trainStepMs: number;
  /** The same under an IMP mask (80% of the weights kept): what rounds 2..R train with. */
  maskedStepMs: number;
  /** Median ms of one magnitude prune of the survivors (pruneSurvivors, all-ones mask -> 80%). */
  pruneMs: number;
  /** Per-step ms of the search at each timed teacher count (3:1 mean of the relaxed and straight-through medians). */
  searchStepMs: Record<string, number>;
  /** Least-squares fit of searchStepMs = a + b T (b: one teacher's forward, targets and Gram matrices); the predictions use it. */
  searchFit: { baseMs: number; perTeacherMs: number };
  /** Search setup once per search (snapshot, magnitude init, first projection), ms. */
  searchSetupMs: number;
  /** stepsPerEpoch x trainStepMs, seconds: a teacher's (and a dense IMP round's) epoch. */
  teacherEpochS: number;
  /** One masked IMP round: E_imp x stepsPerEpoch x maskedStepMs + pruneMs, seconds. */
  impRoundS: number;
  /** A search step (T = 3) in epochs: searchStepMs[3] / (stepsPerEpoch x trainStepMs). */
  searchStepEpochs: number;
  /** Every repeat's timings, in run order (the numbers above are their medians). */
  samples: Sample[];
}

// A full garbage collection before each timed series, so that one series does not pay for the
// garbage of the one before it (a search at width w leaves hundreds of MB for the training steps at
// the next width). Exposed at run time: `node dist/scaling.js` needs no --expose-gc.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Gaps between consecutive timestamps, the first `skip` dropped (warm-up). */
const gaps = (stamps: number[], skip: number) => stamps.slice(1).map((t, i) => t - stamps[i]).slice(skip);

/** Median ms of a training step: train() for warm-up + N iterations, timed between its per-step events. */
async function timeTraining(model: string, width: number, data: Dataset<Float32Array>, o: ScalingOptions, mask?: WeightMask): Promise<number> {
  const net = buildModel(model, { seed: SEED, width });
  collectGarbage();
  try {
    const config = presetToConfig({ ...trainPreset(model), batchSize: o.batchSize }, Math.ceil(data.count / o.batchSize));
    const stamps: number[] = [];
    await train({
      model: net, data: { train: data }, mask, logEvery: 1,
      config: { ...config, epochs: undefined, iterations: o.warmup + o.trainSteps },
      onEvent: (e) => void (e.type === 'iteration' && stamps.push(performance.now())),
    });
    return median(gaps(stamps, o.warmup - 1));
  } finally {
    net.dispose();
  }
}

/** Search-step ms with T teachers (untrained tap models: the cost does not depend on their weights). */
async function timeSearch(model: string, width: number, teachers: number, data: Dataset<Float32Array>, o: ScalingOptions) {
  const student = buildWithTaps(model, { seed: SEED, width });
  const tapped = Array.from({ length: teachers }, (_, t) => buildWithTaps(model, { seed: 100 + t, width }));
  try {
    const stamps: number[] = [];
    const straight: boolean[] = [];
    collectGarbage();
    const t0 = performance.now();
    await searchMask({
      student: student.tapModel, model: student.model, prunable: kernelWeights(student.model), teachers: tapped.map((t) => t.tapModel), data,
      config: { sparsity: SEARCH_SPARSITY, steps: o.warmup + o.searchSteps, batchSize: o.batchSize, seed: SEED },
      onStep: (s) => {
        stamps.push(performance.now());
        straight.push(s.straightThrough);
      },
    });
    const times = gaps(stamps, o.warmup - 1);
    const phase = straight.slice(o.warmup);
    const relaxedTimes = times.filter((_, i) => !phase[i]);
    const stTimes = times.filter((_, i) => phase[i]);
    const relaxed = median(relaxedTimes.length ? relaxedTimes : stTimes);
    const st = median(stTimes.length ? stTimes : relaxedTimes);
    // The default search spends its first 3/4 relaxed and its last 1/4 straight-through.
    const stepMs = 0.75 * relaxed + 0.25 * st;
    return { stepMs, setupMs: Math.max(0, stamps[0] - t0 - stepMs) };
  } finally {
    student.model.dispose();
    tapped.forEach((t) => t.model.dispose());
  }
}

function timePrune(model: string, width: number, reps: number): { pruneMs: number; mask: WeightMask } {
  const net = buildModel(model, { seed: SEED, width });
  try {
    const prunable = kernelWeights(net);
    const all = Mask.ones(prunable);
    const k = Math.round(all.count() * (1 - GRID.pruneFraction));
    const times: number[] = [];
    let next = all;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      next = pruneSurvivors(prunable, all, k);
      times.push(performance.now() - t0);
    }
    return { pruneMs: median(times), mask: next.toMap() };
  } finally {
    net.dispose();
  }
}

/** One round of timings at one width. */
export interface Sample {
  trainStepMs: number;
  maskedStepMs: number;
  pruneMs: number;
  searchStepMs: Record<string, number>;
  searchSetupMs: number;
}

async function sampleWidth(o: ScalingOptions, width: number, data: Dataset<Float32Array>, log: (what: string) => void): Promise<Sample> {
  log('dense training steps');
  const trainStepMs = await timeTraining(o.model, width, data, o);
  log('prune');
  const { pruneMs, mask } = timePrune(o.model, width, 3);
  log('masked training steps');
  const maskedStepMs = await timeTraining(o.model, width, data, o, mask);
  const searchStepMs: Record<string, number> = {};
  let searchSetupMs = 0;
  for (const t of TIMED_TEACHERS) {
    log(`search steps, ${t} teacher(s)`);
    const r = await timeSearch(o.model, width, t, data, o);
    searchStepMs[t] = r.stepMs;
    searchSetupMs = Math.max(searchSetupMs, r.setupMs);
  }
  return { trainStepMs, maskedStepMs, pruneMs, searchStepMs, searchSetupMs };
}

/** Least squares y = a + b x. */
function lineFit(xs: number[], ys: number[]): { a: number; b: number } {
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const b = sxx > 0 ? xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / sxx : 0;
  return { a: my - b * mx, b };
}

/** The medians over the repeats, and what the prediction needs from them. */
function summarize(o: ScalingOptions, width: number, samples: Sample[]): WidthMeasurement {
  const probe = buildModel(o.model, { seed: SEED, width });
  const n = kernelWeights(probe).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  const params = countParams(probe).total;
  probe.dispose();
  const med = (f: (s: Sample) => number) => median(samples.map(f));
  const searchStepMs = Object.fromEntries(TIMED_TEACHERS.map((t) => [t, med((s) => s.searchStepMs[t])]));
  const fit = lineFit(TIMED_TEACHERS, TIMED_TEACHERS.map((t) => searchStepMs[t]));
  const trainStepMs = med((s) => s.trainStepMs);
  const maskedStepMs = med((s) => s.maskedStepMs);
  const pruneMs = med((s) => s.pruneMs);
  const stepsPerEpoch = Math.ceil(o.trainSize / o.batchSize);
  const epochMs = stepsPerEpoch * trainStepMs;
  return {
    width, n, params, stepsPerEpoch, trainStepMs, maskedStepMs, pruneMs, searchStepMs,
    // A slope below 0 is timing noise: teachers never make a step cheaper.
    searchFit: { baseMs: fit.b < 0 ? median(Object.values(searchStepMs)) : fit.a, perTeacherMs: Math.max(0, fit.b) },
    searchSetupMs: med((s) => s.searchSetupMs),
    teacherEpochS: epochMs / 1000,
    impRoundS: (trainPreset(o.model).epochs * stepsPerEpoch * maskedStepMs + pruneMs) / 1000,
    searchStepEpochs: searchStepMs[3] / epochMs,
    samples,
  };
}

// ---- the time-to-ticket model -------------------------------------------------------------

export interface Prediction {
  width: number;
  sparsity: number;
  rounds: number;
  impEpochs: number;
  teachers: number;
  teacherEpochs: number;
  searchSteps: number;
  impSeconds: number;
  kdltsSeconds: number;
  ratio: number;
  /** R E_imp / (T E_t + S c): the same ratio without prune, setup and mask-overhead terms. */
  simpleRatio: number;
}

/**
 * IMP: round 1 dense, rounds 2..R masked, a prune after each: E_imp spe (t_dense + (R-1) t_masked) + R t_prune.
 * KD-LTS: T teachers x E_t dense epochs, then the search: setup + S (a + b T).
 */
export function predict(m: WidthMeasurement, impEpochs: number): Prediction[] {
  const out: Prediction[] = [];
  const epochMs = m.stepsPerEpoch * m.trainStepMs;
  for (const sparsity of GRID.sparsities) {
    const rounds = impRounds(sparsity, GRID.pruneFraction);
    const impMs = impEpochs * m.stepsPerEpoch * (m.trainStepMs + (rounds - 1) * m.maskedStepMs) + rounds * m.pruneMs;
    for (const teachers of GRID.teachers) {
      const stepMs = m.searchFit.baseMs + m.searchFit.perTeacherMs * teachers;
      for (const teacherEpochs of GRID.teacherEpochs) {
        for (const searchSteps of GRID.searchSteps) {
          const kdltsMs = teachers * teacherEpochs * epochMs + m.searchSetupMs + searchSteps * stepMs;
          out.push({
            width: m.width, sparsity, rounds, impEpochs, teachers, teacherEpochs, searchSteps,
            impSeconds: impMs / 1000, kdltsSeconds: kdltsMs / 1000, ratio: impMs / kdltsMs,
            simpleRatio: (rounds * impEpochs) / (teachers * teacherEpochs + (searchSteps * stepMs) / epochMs),
          });
        }
      }
    }
  }
  return out;
}

// ---- output --------------------------------------------------------------------------------

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const sec = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

export function measurementTable(rows: WidthMeasurement[]): string {
  return formatTable(
    ['width', 'n', 'train step ms', 'masked step ms', ...TIMED_TEACHERS.map((t) => `search ms T=${t}`), 'a + bT ms', 'prune ms', 'teacher epoch s', 'IMP round s', 'c (T=3)'],
    rows.map((m) => [
      String(m.width), m.n.toLocaleString('en-US'), ms(m.trainStepMs), ms(m.maskedStepMs), ...TIMED_TEACHERS.map((t) => ms(m.searchStepMs[t])),
      `${ms(m.searchFit.baseMs)} + ${ms(m.searchFit.perTeacherMs)}T`, ms(m.pruneMs), sec(m.teacherEpochS), sec(m.impRoundS),
      m.searchStepEpochs.toExponential(2),
    ]),
    Array<'right'>(7 + TIMED_TEACHERS.length).fill('right'),
  );
}

export function ratioTable(predictions: Prediction[]): string {
  const rows: string[][] = [];
  const keyed = new Map(predictions.map((p) => [`${p.width}|${p.sparsity}|${p.teachers}|${p.teacherEpochs}|${p.searchSteps}`, p]));
  for (const width of [...new Set(predictions.map((p) => p.width))]) {
    for (const s of GRID.sparsities) {
      for (const t of GRID.teachers) {
        for (const e of GRID.teacherEpochs) {
          const cells = GRID.searchSteps.map((S) => keyed.get(`${width}|${s}|${t}|${e}|${S}`)!);
          rows.push([String(width), String(s), String(cells[0].rounds), String(t), String(e), ...cells.map((p) => p.ratio.toFixed(1))]);
        }
      }
    }
  }
  return formatTable(
    ['width', 's', 'R', 'T', 'E_t', ...GRID.searchSteps.map((S) => `S=${S}`)],
    rows,
    ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

export const EXTRAPOLATION =
  'Per-step times are medians of steps timed after warm-up steps on a small synthetic set whose labels are shuffled ' +
  '(so that the loss stays at its early-training size: with learnable labels it collapses within a few steps and ' +
  'its subnormal gradients slow every step several-fold). An epoch is ceil(N_train / batch) steps x the median dense ' +
  'step (a teacher epoch); an IMP round is E_imp such epochs of masked steps plus one pruneSurvivors (round 1 trains ' +
  'dense). Data loading beyond the per-batch gather, evaluation, checkpoints, IMP\'s rewinds and the final ticket ' +
  'training (which both methods need) are not counted. The search step for T teachers is a + b T, least-squares ' +
  'fitted to the steps timed with 1, 3 and 5 teachers; c is a search step with T = 3 in epochs.';

/**
 * Synthetic images with shuffled labels. With their own labels the stripe classes are learned in a
 * few steps; the loss then falls to ~1e-7 and the vanishing gradients become subnormal floats,
 * which made a LeNet width-4 step 3-5x slower (measured while writing this benchmark). Shuffled
 * labels keep the gradients at the size they have early in real training.
 */
export function timingData(count: number, shape: ImageShape): Dataset<Float32Array> {
  const raw = syntheticDataset({ count, shape, seed: SEED });
  const labels = raw.labels.slice();
  const rng = mulberry32(SEED);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return prepare({ ...raw, labels }, resolveStats(raw, undefined));
}

async function main(): Promise<void> {
  const o = parseScalingOptions(process.argv.slice(2));
  const backend = await useBackend({ backend: 'kdlts' });
  const machine = describeMachine();
  const spec = getModelSpec(o.model);
  const impEpochs = trainPreset(o.model).epochs;
  console.log(machineLine(machine));
  console.log(`backend: ${backend.reason}`);
  console.log(`${o.model}, widths ${o.widths.join(', ')}, batch ${o.batchSize}, N_train ${o.trainSize}, E_imp ${impEpochs} (preset)`);
  const data = timingData(o.timedSet, spec.defaultInputShape as ImageShape);
  const settings = {
    ...o, out: undefined, impEpochs, searchSparsity: SEARCH_SPARSITY, timedTeachers: TIMED_TEACHERS, inputShape: spec.defaultInputShape, seed: SEED,
  };
  let measurements: WidthMeasurement[] = [];
  // Timings on a shared machine move with its load: the 1-minute load average at the start and after each repeat.
  const load = [os.loadavg()[0]];
  const write = () =>
    writeJsonAtomic(o.out, {
      kind: 'scaling', date: new Date().toISOString(), machine, backend: backend.reason, settings, loadAverage: load, extrapolation: EXTRAPOLATION,
      grid: GRID, measurements, predictions: measurements.flatMap((m) => predict(m, impEpochs)),
    });
  const samples = new Map<number, Sample[]>(o.widths.map((w) => [w, []]));
  for (let r = 0; r < o.repeats; r++) {
    for (const width of o.widths) {
      const log = (what: string) => process.stderr.write(`  repeat ${r + 1}/${o.repeats}, width ${width}: ${what}\n`);
      samples.get(width)!.push(await sampleWidth(o, width, data, log));
    }
    measurements = o.widths.map((w) => summarize(o, w, samples.get(w)!));
    load.push(os.loadavg()[0]);
    write(); // a killed run keeps the repeats it finished
  }
  console.log('\n' + measurementTable(measurements));
  console.log(`\nPredicted time-to-ticket ratio IMP / KD-LTS (p = ${GRID.pruneFraction}, E_imp = ${impEpochs}):`);
  console.log(ratioTable(measurements.flatMap((m) => predict(m, impEpochs))));
  console.log(`\n${EXTRAPOLATION}`);
  console.log(`\nwrote ${o.out}`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`scaling: ${(error as Error).message}\n`);
    process.exit(1);
  });
}

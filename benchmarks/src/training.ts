// The training benchmark: training-step throughput (images/s) of the kdlts models on the `kdlts`
// tfjs backend, beside tfjs's pure-JS `cpu` backend and PyTorch (when Debian's python3-torch is
// importable) measured in the same run. One step: forward in training mode, mean softmax
// cross-entropy against one-hot labels, backward, SGD momentum 0.9 update; synthetic seeded data.
// Usage: node dist/training.js [--quick] [--models lenet300,conv4,resnet20] [--backends kdlts,cpu]
//   [--seconds S] [--warmup N] [--cpu-batch N] [--cpu-seconds S] [--no-torch] [--torch-threads 1,2] [--out FILE]
import { spawnSync } from 'child_process';
import * as path from 'path';

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerKdltsBackend, BACKEND_NAME, type KdltsBackendStatus } from '@kdlts/backend';
import { formatTable } from '@kdlts/cli';
import { mulberry32 } from '@kdlts/data';
import { MODEL_NAMES, buildModel, countParams, isModelName, type ModelName } from '@kdlts/models';

import { describeMachine, errorOf, machineLine, type Failed } from './machine';
import { eachFlag, positiveArg } from './args';
import { defaultResultsPath, writeJsonAtomic } from './results';

// ---- options and profiles -------------------------------------------------------------------

const BACKENDS = [BACKEND_NAME, 'cpu'] as const;
type BackendName = (typeof BACKENDS)[number];

interface Options {
  quick: boolean;
  out: string;
  models: ModelName[];
  backends: BackendName[];
  /** Timed seconds per workload on the fast paths (kdlts with its native kernels, PyTorch). */
  seconds: number;
  /** Warm-up steps on the fast paths. */
  warmup: number;
  /** Batch for the conv nets on the slow paths (tfjs cpu; kdlts without native kernels). */
  cpuBatch: number;
  /** Timed seconds per workload on the slow paths (at least one step after one warm-up step). */
  cpuSeconds: number;
  torch: boolean;
  torchThreads: number[];
}

const USAGE =
  'usage: training.js [--quick] [--models lenet300,conv4,resnet20] [--backends kdlts,cpu] [--seconds S] [--warmup N]\n' +
  '                   [--cpu-batch N] [--cpu-seconds S] [--no-torch] [--torch-threads 1,2] [--out FILE]';

const FULL = { seconds: 10, warmup: 3, cpuBatch: 2, cpuSeconds: 20 };
const QUICK = { seconds: 2, warmup: 1, cpuBatch: 1, cpuSeconds: 2 };

function parseOptions(argv: string[]): Options {
  const set: Partial<Options> = {};
  let quick = false;
  let out = '';
  const positive = (flag: string, v: string, integer: boolean) => positiveArg(flag, v, integer, USAGE);
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  eachFlag(argv, USAGE, (flag, value) => {
    if (flag === '--quick') quick = true;
    else if (flag === '--no-torch') set.torch = false;
    else if (flag === '--out') out = value();
    else if (flag === '--seconds') set.seconds = positive(flag, value(), false);
    else if (flag === '--cpu-seconds') set.cpuSeconds = positive(flag, value(), false);
    else if (flag === '--warmup') set.warmup = positive(flag, value(), true);
    else if (flag === '--cpu-batch') set.cpuBatch = positive(flag, value(), true);
    else if (flag === '--torch-threads') set.torchThreads = list(value()).map((t) => positive(flag, t, true));
    else if (flag === '--models') {
      set.models = list(value()).map((m) => {
        if (!isModelName(m)) throw new Error(`unknown model '${m}' (known: ${MODEL_NAMES.join(', ')})\n${USAGE}`);
        return m;
      });
    } else if (flag === '--backends') {
      set.backends = list(value()).map((b) => {
        if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`unknown backend '${b}' (known: ${BACKENDS.join(', ')})\n${USAGE}`);
        return b as BackendName;
      });
    } else return false;
    return true;
  });
  const profile = quick ? QUICK : FULL;
  if (!out) out = quick ? defaultResultsPath('training', { suffix: 'quick', local: true }) : defaultResultsPath('training');
  return {
    quick,
    out,
    models: set.models ?? [...MODEL_NAMES].filter((m) => WORKLOADS.some((w) => w.model === m)),
    backends: set.backends ?? [...BACKENDS],
    seconds: set.seconds ?? profile.seconds,
    warmup: set.warmup ?? profile.warmup,
    cpuBatch: set.cpuBatch ?? profile.cpuBatch,
    cpuSeconds: set.cpuSeconds ?? profile.cpuSeconds,
    torch: set.torch ?? true,
    torchThreads: set.torchThreads ?? [1, 2],
  };
}

interface Workload {
  id: string;
  model: ModelName;
  batch: number;
  /** Channels last, without the batch dimension. */
  inputShape: number[];
  classes: number;
  /** Convolutional: the slow paths run it at --cpu-batch. */
  conv: boolean;
}

const WORKLOADS: Workload[] = [
  { id: 'lenet300-b60', model: 'lenet300', batch: 60, inputShape: [28, 28, 1], classes: 10, conv: false },
  { id: 'lenet300-b128', model: 'lenet300', batch: 128, inputShape: [28, 28, 1], classes: 10, conv: false },
  { id: 'conv4-b128', model: 'conv4', batch: 128, inputShape: [28, 28, 1], classes: 10, conv: true },
  { id: 'resnet20-b128', model: 'resnet20', batch: 128, inputShape: [32, 32, 3], classes: 10, conv: true },
];
const SEED = 20240611;
const LEARNING_RATE = 0.01;
const MOMENTUM = 0.9;
const PYTHON = '/usr/bin/python3';

// ---- one tfjs measurement -------------------------------------------------------------------

interface Measurement {
  batch: number;
  /** Warm-up steps run: --warmup (1 on the slow path), fewer when they would exceed the budget. */
  warmupSteps: number;
  /** Mean ms of the warm-up steps. */
  warmupMs: number;
  steps: number;
  seconds: number;
  /** steps * batch / seconds. */
  imagesPerSec: number;
  bestStepMs: number;
  medianStepMs: number;
  /** tf.memory().numTensors after the warm-up and after the timed steps: equal when nothing leaks. */
  tensorsBefore: number;
  tensorsAfter: number;
  /** Tensors left once the model, optimizer and data are disposed (0 when nothing leaks). */
  tensorsLeaked: number;
  loss: { first: number; last: number };
}

type Measured = Measurement | Failed;
const measured = (m: Measured | undefined): m is Measurement => m !== undefined && 'imagesPerSec' in m;

interface Plan {
  batch: number;
  warmup: number;
  seconds: number;
}

/** A seeded uniform [0, 1) stream (@kdlts/data's mulberry32). */
const prng = (seed: number): (() => number) => mulberry32(seed).next;

async function measureTfjs(backend: BackendName, w: Workload, plan: Plan): Promise<Measured> {
  if (!(await tf.setBackend(backend))) return { error: `tfjs backend '${backend}' failed to initialise` };
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // tfjs-backend-cpu's tfjs-node banner
  let model: tfl.LayersModel | null = null;
  let optimizer: tf.Optimizer | null = null;
  let data: tf.Tensor[] = [];
  try {
    model = buildModel(w.model, { seed: SEED, inputShape: w.inputShape, numClasses: w.classes });
    const net = model;
    const rand = prng(SEED + 1);
    const x = tf.randomNormal([plan.batch, ...w.inputShape], 0, 1, 'float32', SEED);
    const labels = Int32Array.from({ length: plan.batch }, () => Math.floor(rand() * w.classes));
    const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), w.classes), 'float32'));
    data = [x, y];
    const opt = tf.train.momentum(LEARNING_RATE, MOMENTUM);
    optimizer = opt;
    const vars = net.trainableWeights.map((v) => v.read() as tf.Variable);
    const loss = () => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const step = (): number => {
      const cost = opt.minimize(loss, true, vars);
      if (!cost) throw new Error('minimize returned no cost');
      const value = cost.dataSync()[0]; // also waits for the step on an asynchronous backend
      cost.dispose();
      return value;
    };

    // Warm-up: plan.warmup steps, fewer when they alone would exceed the timed budget.
    const t0 = process.hrtime.bigint();
    const sinceT0 = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const first = step();
    let warmupSteps = 1;
    while (warmupSteps < plan.warmup && sinceT0() < 1000 * plan.seconds) (step(), warmupSteps++);
    const warmupMs = sinceT0() / warmupSteps;
    const tensorsBefore = tf.memory().numTensors;
    const times: number[] = [];
    let last = NaN;
    const t1 = process.hrtime.bigint();
    let elapsed = 0;
    while (times.length === 0 || elapsed < plan.seconds) {
      const s = process.hrtime.bigint();
      last = step();
      const now = process.hrtime.bigint();
      times.push(Number(now - s) / 1e6);
      elapsed = Number(now - t1) / 1e9;
    }
    const tensorsAfter = tf.memory().numTensors;
    if (!Number.isFinite(last)) throw new Error(`loss is ${last}`);
    times.sort((a, b) => a - b);
    return {
      batch: plan.batch,
      warmupSteps,
      warmupMs,
      steps: times.length,
      seconds: elapsed,
      imagesPerSec: (times.length * plan.batch) / elapsed,
      bestStepMs: times[0],
      medianStepMs: times[Math.floor(times.length / 2)],
      tensorsBefore,
      tensorsAfter,
      tensorsLeaked: -1, // set below, once everything is disposed
      loss: { first, last },
    };
  } catch (error) {
    return errorOf(error);
  } finally {
    optimizer?.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() skips the -learning-rate scalar its SGD base keeps.
    const c = (optimizer as unknown as { c?: tf.Tensor } | null)?.c;
    if (c && !c.isDisposed) c.dispose();
    model?.dispose();
    tf.dispose(data);
  }
}

async function measureAll(w: Workload, backend: BackendName, plan: Plan): Promise<Measured> {
  const start = tf.memory().numTensors;
  const m = await measureTfjs(backend, w, plan);
  if (measured(m)) m.tensorsLeaked = tf.memory().numTensors - start;
  return m;
}

// ---- PyTorch --------------------------------------------------------------------------------

interface TorchRun {
  threads: number;
  imagesPerSec: number;
  steps: number;
  seconds: number;
  bestStepMs: number;
  medianStepMs: number;
  params: number;
}
interface TorchResult {
  id: string;
  batch: number;
  params: number;
  best: TorchRun;
  runs: TorchRun[];
}
type TorchInfo = { version: string } | { absent: string };

function torchVersion(): TorchInfo {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { absent: `${PYTHON}: ${r.error.message}` };
  if (r.status !== 0) return { absent: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 200) };
  return { version: r.stdout.trim() };
}

function runTorch(workloads: Workload[], opts: Options): { results: TorchResult[] } | Failed {
  const script = path.resolve(__dirname, '..', 'python', 'train_step.py');
  const spec = {
    workloads: workloads.map(({ id, model, batch, inputShape, classes }) => ({ id, model, batch, inputShape, classes })),
    threads: opts.torchThreads,
    seconds: opts.seconds,
    warmup: opts.warmup,
    seed: SEED,
  };
  // Worst case: every (workload, threads) pair spends its budget plus warm-up; a generous cap.
  const timeout = 1000 * (120 + 10 * workloads.length * opts.torchThreads.length * (opts.seconds + 30));
  const r = spawnSync(PYTHON, [script, JSON.stringify(spec)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_WAIT_POLICY: 'passive' },
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout,
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.error) return errorOf(r.error);
  if (r.status !== 0) return { error: `train_step.py exited with ${r.status ?? r.signal}: ${r.stdout.trim().slice(0, 200)}` };
  try {
    return JSON.parse(r.stdout) as { results: TorchResult[] };
  } catch (error) {
    return errorOf(error);
  }
}

// ---- output ---------------------------------------------------------------------------------

interface Row {
  id: string;
  model: ModelName;
  inputShape: number[];
  batch: number;
  params: { trainable: number; total: number } | null;
  backends: Partial<Record<BackendName, Measured & { path?: 'fast' | 'slow' }>>;
  torch: TorchResult | null;
  /** kdlts images/s over tfjs cpu's and over PyTorch's best (null where a side did not run). */
  ratios: { vsCpu: number | null; vsTorch: number | null };
}

/** Three significant digits, no exponent. */
const fmt = (x: number) => (x === 0 ? '0' : x >= 100 ? x.toFixed(0) : x.toFixed(Math.min(6, 2 - Math.floor(Math.log10(x)))));
const clip = (s: string, n = 40) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function backendCells(m: Measured | undefined): string[] {
  if (m === undefined) return ['—', '—', '—'];
  if (!measured(m)) return [clip(`error: ${m.error}`), '—', '—'];
  const stable = m.tensorsBefore === m.tensorsAfter && m.tensorsLeaked === 0 ? '' : ' LEAK';
  return [fmt(m.imagesPerSec), `${m.batch}x${m.steps}`, `${m.tensorsBefore}->${m.tensorsAfter}${stable}`];
}

function tableOf(rows: Row[], opts: Options): string {
  const header = ['workload', 'input'];
  const align: ('left' | 'right')[] = ['left', 'left'];
  for (const b of opts.backends) {
    header.push(`${b} img/s`, 'batch x steps', 'tensors');
    align.push('right', 'right', 'right');
  }
  header.push('torch img/s', 'thr');
  align.push('right', 'right');
  const ours = opts.backends.includes(BACKEND_NAME);
  if (ours && opts.backends.includes('cpu')) (header.push('ours/cpu'), align.push('right'));
  if (ours) (header.push('ours/torch'), align.push('right'));
  const body = rows.map((r) => {
    const cells = [r.id, r.inputShape.join('x')];
    for (const b of opts.backends) cells.push(...backendCells(r.backends[b]));
    cells.push(r.torch ? fmt(r.torch.best.imagesPerSec) : '', r.torch ? String(r.torch.best.threads) : '');
    const ratio = (x: number | null) => (x === null ? '' : `${fmt(x)}x`);
    if (ours && opts.backends.includes('cpu')) cells.push(ratio(r.ratios.vsCpu));
    if (ours) cells.push(ratio(r.ratios.vsTorch));
    return cells;
  });
  return formatTable(header, body, align);
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const progress = (what: string) => process.stderr.write(`  [${((Date.now() - started) / 1000).toFixed(0)}s] ${what}\n`);
  const status: KdltsBackendStatus | null = opts.backends.includes(BACKEND_NAME) ? registerKdltsBackend() : null;
  const machine = describeMachine();
  const torch: TorchInfo = opts.torch ? torchVersion() : { absent: '--no-torch' };
  const kdltsNative = status?.native === true;
  const fast: Plan = { batch: 0, warmup: opts.warmup, seconds: opts.seconds };
  const slow: Plan = { batch: 0, warmup: 1, seconds: opts.cpuSeconds };
  const pathOf = (b: BackendName) => (b === BACKEND_NAME && kdltsNative ? 'fast' : 'slow');

  console.log(machineLine(machine));
  if (status) {
    console.log(
      status.native
        ? `kdlts backend: native, ${status.nativeKernels.length} native kernels (${status.nativeKernels.join(', ')})`
        : `kdlts backend: NOT NATIVE, runs tfjs-backend-cpu's kernels (${status.reason}); timed like cpu below`,
    );
  }
  console.log(`tfjs ${tf.version_core} | torch: ${'version' in torch ? `${torch.version} (${PYTHON})` : `absent (${torch.absent})`}`);
  console.log(
    `budget (${opts.quick ? 'quick' : 'full'}): fast path (kdlts native, torch) ${opts.warmup} warm-up step(s) then steps for >= ${opts.seconds} s; ` +
      `slow path (tfjs cpu${kdltsNative ? '' : ', kdlts without native kernels'}) 1 warm-up step then steps for >= ${opts.cpuSeconds} s, ` +
      `conv nets at batch ${opts.cpuBatch}; at least 1 timed step each`,
  );

  const workloads = WORKLOADS.filter((w) => opts.models.includes(w.model));
  const rows: Row[] = [];
  for (const w of workloads) {
    const row: Row = {
      id: w.id,
      model: w.model,
      inputShape: w.inputShape,
      batch: w.batch,
      params: null,
      backends: {},
      torch: null,
      ratios: { vsCpu: null, vsTorch: null },
    };
    for (const b of opts.backends) {
      const p = pathOf(b);
      const plan = { ...(p === 'fast' ? fast : slow), batch: p === 'slow' && w.conv ? Math.min(opts.cpuBatch, w.batch) : w.batch };
      progress(`${w.id} on ${b} (batch ${plan.batch}, ${plan.warmup} warm-up, >= ${plan.seconds} s)`);
      row.backends[b] = { ...(await measureAll(w, b, plan)), path: p };
    }
    const model = buildModel(w.model, { seed: SEED, inputShape: w.inputShape, numClasses: w.classes });
    const params = countParams(model);
    model.dispose();
    row.params = { trainable: params.trainable, total: params.total };
    rows.push(row);
  }

  let torchRun: { results: TorchResult[] } | Failed | { absent: string } = 'absent' in torch ? torch : { results: [] };
  if ('version' in torch && workloads.length > 0) {
    progress(`torch ${torch.version}: ${workloads.length} workload(s) x threads ${opts.torchThreads.join(',')}`);
    torchRun = runTorch(workloads, opts);
  }
  const torchNotes: string[] = [];
  if ('results' in torchRun) {
    for (const row of rows) {
      row.torch = torchRun.results.find((r) => r.id === row.id) ?? null;
      if (row.torch && row.params && row.torch.params !== row.params.trainable)
        torchNotes.push(`${row.id}: torch has ${row.torch.params} trainable parameters, tfjs ${row.params.trainable}`);
    }
  }
  for (const row of rows) {
    const ours = row.backends[BACKEND_NAME];
    const cpu = row.backends.cpu;
    if (measured(ours) && measured(cpu)) row.ratios.vsCpu = ours.imagesPerSec / cpu.imagesPerSec;
    if (measured(ours) && row.torch) row.ratios.vsTorch = ours.imagesPerSec / row.torch.best.imagesPerSec;
  }

  console.log('');
  console.log(tableOf(rows, opts));
  console.log('');
  const seconds = (Date.now() - started) / 1000;
  console.log(
    [
      'img/s: timed steps x batch / timed seconds; batch x steps: the batch used and the number of timed steps.',
      'tensors: tf.memory().numTensors after the warm-up -> after the timed steps (LEAK: they differ, or tensors outlived the model).',
      'ours = kdlts; ratios are per-image throughputs (the slow paths run the conv nets at a smaller batch).',
      ...(!status || kdltsNative ? [] : ['NOTE: kdlts ran without its native kernels (= tfjs cpu): its numbers are not the native ones.']),
      'error' in torchRun
        ? `torch: error: ${torchRun.error}`
        : 'absent' in torchRun
          ? `torch: no column (${torchRun.absent}${torchRun.absent === '--no-torch' ? '' : '; install python3-torch for it'})`
          : `torch: best of threads ${opts.torchThreads.join(', ')} (OMP_WAIT_POLICY=passive), same architectures, loss, optimizer and batch.`,
      ...torchNotes.map((n) => `WARNING: ${n}`),
      `${seconds.toFixed(0)} s`,
    ].join('\n'),
  );

  writeJsonAtomic(opts.out, {
    benchmark: 'training',
    schemaVersion: 1,
    date: new Date().toISOString(),
    profile: opts.quick ? 'quick' : 'full',
    options: {
      models: opts.models,
      backends: opts.backends,
      seconds: opts.seconds,
      warmup: opts.warmup,
      cpuBatch: opts.cpuBatch,
      cpuSeconds: opts.cpuSeconds,
      torch: opts.torch,
      torchThreads: opts.torchThreads,
      seed: SEED,
      step: { loss: 'softmaxCrossEntropy (mean, one-hot)', optimizer: `momentum(lr ${LEARNING_RATE}, ${MOMENTUM})` },
    },
    machine: { ...machine, tfjs: tf.version_core, kdltsBackend: status, torch },
    torch: 'results' in torchRun ? { ...torchRun, results: undefined } : torchRun,
    rows,
  });
  console.log(`results: ${opts.out}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

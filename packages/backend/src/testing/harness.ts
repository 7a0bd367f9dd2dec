// Runs one conformance case on tfjs-backend-cpu and on kdlts and says what differs.
//
// A case is an op over seeded inputs (tf functions, so the engine dispatches to the active
// backend's kernels), optionally differentiated with tf.grads against a seeded dy. Each backend
// builds its own tensors from copies of the same typed arrays inside tf.tidy, results are read
// with dataSync and everything is disposed; the run also checks that no tensor or backend buffer
// leaked and that no input was written to. A kernel spy records, for every kernel kdlts
// overrides, how often kdlts dispatched it and how often it handed the call to the cpu kernel,
// so a case can require that its kernels really ran natively (or really fell back).
import * as tf from '@tensorflow/tfjs-core';

import { BACKEND_NAME, registerKdltsBackend, type KdltsBackendStatus } from '../index';
import { compareValues, describeTolerance, type Tolerance } from './compare';
import { normal, replayHint, Rng, seedFor, type Generator } from './random';

/** Every kernel the kdlts backend serves natively (when the addon is built). */
export const OVERRIDDEN_KERNELS = [
  'BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter',
  'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad', 'FusedBatchNorm',
  'Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum', 'Minimum',
  'Relu', 'Relu6', 'Step', 'Neg', 'Abs', 'Square', 'Sqrt', 'Rsqrt', 'Exp', 'Log', 'Sigmoid', 'Tanh', 'Reciprocal',
  'Sum', 'Mean', 'Max', 'Min', 'Softmax', 'Tile', 'Transpose',
  // Not a native kernel: int32 / bool -> float32 into a real Float32Array (tfjs-backend-cpu's Cast
  // relabels the Int32Array / Uint8Array, which the native kernels cannot read).
  'Cast',
] as const;

/** Overridden kernels whose cpu path is their normal path for most inputs (Cast: all but int32/bool -> float32). */
export const PARTIAL_KERNELS: ReadonlySet<string> = new Set(['Cast']);

export const status: KdltsBackendStatus = registerKdltsBackend();
export { BACKEND_NAME };

/** True on CI, where the addon is built and the native kernels must be in use. */
export const onCI = process.env.CI === 'true' || process.env.CI === '1';

// ---- kernel spy ------------------------------------------------------------------------------

export interface KernelCount {
  /** Calls dispatched to kdlts's kernel. */
  calls: number;
  /** Of those, calls that kdlts handed to tfjs-backend-cpu's kernel. */
  fallbacks: number;
}

const counts = new Map<string, KernelCount>();
/** kdlts's kernel functions behind the spy (replaceable by withKdltsKernel). */
const innerKernels = new Map<string, tf.KernelFunc>();
let spyInstalled = false;

function countOf(name: string): KernelCount {
  let c = counts.get(name);
  if (!c) counts.set(name, (c = { calls: 0, fallbacks: 0 }));
  return c;
}

/**
 * Wraps the registry entries of the overridden kernels. The engine looks a kernel up on every
 * call, so replacing kernelFunc on the registered config is seen at once. kdlts's copies of the
 * cpu configs were made at registration, before this runs, so only a kdlts kernel that calls
 * tf.getKernel(name, 'cpu') (its fallback) reaches the wrapped cpu function while kdlts is active.
 */
export function installKernelSpy(): void {
  if (spyInstalled) return;
  spyInstalled = true;
  for (const name of OVERRIDDEN_KERNELS) {
    const kd = tf.getKernel(name, BACKEND_NAME);
    const cpu = tf.getKernel(name, 'cpu');
    if (!kd || !cpu) throw new Error(`kernel ${name} is not registered on both backends`);
    innerKernels.set(name, kd.kernelFunc);
    const cpuFunc = cpu.kernelFunc;
    (kd as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      countOf(name).calls++;
      return innerKernels.get(name)!(args);
    };
    (cpu as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      if (tf.getBackend() === BACKEND_NAME) countOf(name).fallbacks++;
      return cpuFunc(args);
    };
  }
}

/**
 * Runs `fn` with kdlts's kernel `name` replaced by `make(original)` behind the spy (the
 * harness's own self-check: a deliberately wrong kernel must fail its case).
 */
export async function withKdltsKernel<T>(name: string, make: (original: tf.KernelFunc) => tf.KernelFunc, fn: () => Promise<T>): Promise<T> {
  installKernelSpy();
  const original = innerKernels.get(name);
  if (!original) throw new Error(`${name} is not an overridden kernel`);
  innerKernels.set(name, make(original));
  try {
    return await fn();
  } finally {
    innerKernels.set(name, original);
  }
}

export function resetKernelCounts(): void {
  counts.clear();
}

export function kernelCounts(): Record<string, KernelCount> {
  return Object.fromEntries([...counts].map(([k, v]) => [k, { ...v }]));
}

/**
 * For each overridden kernel: is kdlts's kernelFunc another function than tfjs-backend-cpu's?
 * Read when this module loads, before the spy wraps both.
 */
export const differsFromCpu: Readonly<Record<string, boolean>> = Object.fromEntries(
  OVERRIDDEN_KERNELS.map((name) => [name, tf.getKernel(name, BACKEND_NAME)?.kernelFunc !== tf.getKernel(name, 'cpu')?.kernelFunc]),
);

// ---- cases -----------------------------------------------------------------------------------

export interface InputSpec {
  shape: number[];
  gen: Generator;
  /** How the input enters the |inputs| run that gives 'bound' tolerances their scale. */
  mag?: 'abs' | 'negAbs' | 'keep';
}

export interface Case {
  /** Unique; also seeds the case's inputs. */
  name: string;
  inputs: InputSpec[];
  op: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Inputs to differentiate with tf.grads (absent: forward only). */
  grad?: number[];
  /** dy's generator (default N(0, 1)). */
  dy?: Generator;
  /** Kernels that must run on kdlts, natively when the addon is built (forward or gradient). */
  native: string[];
  /** Overridden kernels that must hand this case to tfjs-backend-cpu (unsupported by native). */
  fallback?: string[];
  /** Overridden kernels that may hand part of the case to cpu (e.g. a gradient's scattered-axes Sum). */
  mayFallback?: string[];
  /** Forward tolerance. */
  tol: Tolerance;
  /** Gradient tolerance, one for all or one per differentiated input (default: tol). */
  gradTol?: Tolerance | Tolerance[];
}

type Values = Float32Array | Int32Array;

export interface Result {
  shape: number[];
  dtype: string;
  values: Values;
}

export interface RunResult {
  out: Result;
  grads: Result[];
  /** Tensors (engine) and buffers (backend) left after the run. */
  leakedTensors: number;
  leakedBuffers: number;
  /** Inputs whose data changed. */
  mutated: number[];
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function read(t: tf.Tensor): Result {
  return { shape: t.shape.slice(), dtype: t.dtype, values: (t.dataSync() as Values).slice() };
}

function sameBits(a: Values, b: Values): boolean {
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function backendBuffers(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}

export async function useBackend(name: string): Promise<void> {
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  // tfjs-backend-cpu's one-time "install tfjs-node" banner.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

/** Runs a case's op (and its gradients) on one backend over the given input data. */
export async function runOn(backendName: string, c: Case, data: Values[], dyFor: (shape: number[]) => Float32Array): Promise<RunResult> {
  await useBackend(backendName);
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = backendBuffers();
  const xs = c.inputs.map((s, i) => tf.tensor(data[i].slice(), s.shape, data[i] instanceof Int32Array ? 'int32' : 'float32'));
  let out: Result;
  let grads: Result[] = [];
  const mutated: number[] = [];
  try {
    const y = tf.tidy(() => c.op(...xs));
    out = read(y);
    if (c.grad && c.grad.length > 0) {
      const wrt = c.grad;
      const dy = tf.tensor(dyFor(y.shape), y.shape, 'float32');
      const gs = tf.tidy(() =>
        tf.grads((...sub: tf.Tensor[]) => c.op(...xs.map((x, i) => (wrt.includes(i) ? sub[wrt.indexOf(i)] : x))))(
          wrt.map((i) => xs[i]),
          dy,
        ),
      );
      grads = gs.map(read);
      tf.dispose(gs);
      dy.dispose();
    }
    y.dispose();
    xs.forEach((x, i) => {
      if (!sameBits(x.dataSync() as Values, data[i])) mutated.push(i);
    });
  } finally {
    tf.dispose(xs);
  }
  return {
    out,
    grads,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    leakedBuffers: backendBuffers() - buffersBefore,
    mutated,
  };
}

/**
 * Fills the free buffers of kdlts's output pool with NaN, where the backend has one (its
 * KdltsBackend.pool; a plain cpu clone has none).
 */
export function poisonPool(lengths: number[] = []): void {
  type Pool = { fillFree?(value: number): void; allocate?(n: number): Float32Array; release?(v: Float32Array): void };
  const pool = (tf.findBackend(BACKEND_NAME) as unknown as { pool?: Pool } | null)?.pool;
  if (!pool) return;
  // Buffers the first run's results lived in were read (so retired from recycling): give the
  // pool NaN-filled buffers of those lengths too, two of each.
  if (pool.allocate && pool.release) {
    const spare = lengths.flatMap((n) => [pool.allocate!(n), pool.allocate!(n)]);
    spare.forEach((b) => pool.release!(b));
  }
  pool.fillFree?.(Number.NaN);
}

function magnitudeInput(v: Values, how: InputSpec['mag']): Values {
  if (how === 'keep' || v instanceof Int32Array) return v;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = how === 'negAbs' ? -Math.abs(v[i]) : Math.abs(v[i]);
  return out;
}

function needsMagnitude(t: Tolerance): boolean {
  return t.kind === 'bound' && t.magRel > 0;
}

export interface CaseReport {
  problems: string[];
  /** Worst |diff| / allowed over forward and gradients (0: identical). */
  worst: number;
  counts: Record<string, KernelCount>;
}

/** The case's seeded input data. */
export function caseInputs(c: Case): Values[] {
  const rng = new Rng(seedFor(c.name));
  return c.inputs.map((s) => s.gen(rng, sizeOf(s.shape)));
}

/** Runs a case on cpu and kdlts and compares; problems is empty when kdlts conforms. */
export async function checkCase(c: Case): Promise<CaseReport> {
  installKernelSpy();
  const data = caseInputs(c);
  const dySeed = seedFor(`${c.name}#dy`);
  const dyFor = (shape: number[]) => (c.dy ?? normal())(new Rng(dySeed), sizeOf(shape)) as Float32Array;

  const ref = await runOn('cpu', c, data, dyFor);
  resetKernelCounts();
  const got = await runOn(BACKEND_NAME, c, data, dyFor);
  const seen = kernelCounts();
  // Again, after filling the output buffers the first run gave back to kdlts's pool with NaN
  // (recycled buffers are not zeroed, so every kernel must write its whole output), and the
  // results must be the same bits (the native kernels are deterministic).
  poisonPool([got.out, ...got.grads].map((r) => r.values.length));
  const again = await runOn(BACKEND_NAME, c, data, dyFor);

  const gradTols = c.grad ? c.grad.map((_, j) => (Array.isArray(c.gradTol) ? c.gradTol[j] : (c.gradTol ?? c.tol))) : [];
  let mag: RunResult | null = null;
  if (needsMagnitude(c.tol) || gradTols.some(needsMagnitude)) {
    const magData = data.map((v, i) => magnitudeInput(v, c.inputs[i].mag));
    mag = await runOn('cpu', c, magData, (shape) => magnitudeInput(dyFor(shape), 'abs') as Float32Array);
  }

  const problems: string[] = [];
  let worst = 0;
  const compare = (label: string, g: Result, r: Result, tol: Tolerance, m?: Result) => {
    if (g.shape.join(',') !== r.shape.join(',') || g.dtype !== r.dtype) {
      problems.push(`${label}: shape/dtype [${g.shape}] ${g.dtype}, expected [${r.shape}] ${r.dtype}`);
      worst = Infinity;
      return;
    }
    const cmp = compareValues(g.values, r.values, tol, m?.values, label);
    worst = Math.max(worst, cmp.worst);
    if (cmp.problems.length) problems.push(...cmp.problems, `${label}: tolerance ${describeTolerance(tol)}`);
  };
  compare('forward', got.out, ref.out, c.tol, mag?.out);
  const rerun = [got.out, ...got.grads];
  [again.out, ...again.grads].forEach((r, j) => {
    if (j >= rerun.length) return;
    const cmp = compareValues(r.values, rerun[j].values, { kind: 'exact' }, undefined, j === 0 ? 'forward' : `d/d input ${c.grad![j - 1]}`);
    if (cmp.problems.length) problems.push(`second ${BACKEND_NAME} run (output buffers recycled from a NaN-filled pool) differs from the first:`, ...cmp.problems);
  });
  if (got.grads.length !== ref.grads.length) problems.push(`${got.grads.length} gradients, expected ${ref.grads.length}`);
  else got.grads.forEach((g, j) => compare(`d/d input ${c.grad![j]}`, g, ref.grads[j], gradTols[j], mag?.grads[j]));

  for (const [which, r] of [['cpu', ref], [BACKEND_NAME, got], [`${BACKEND_NAME} (second run)`, again]] as const) {
    if (r.leakedTensors || r.leakedBuffers) problems.push(`${which}: leaked ${r.leakedTensors} tensors, ${r.leakedBuffers} buffers`);
    if (r.mutated.length) problems.push(`${which}: wrote to inputs ${r.mutated.join(', ')}`);
  }

  for (const k of c.native) {
    const n = seen[k];
    if (!n || n.calls === 0) problems.push(`${k} was never dispatched on ${BACKEND_NAME}`);
    else if (status.native && n.calls - n.fallbacks <= 0) problems.push(`${k} did not run natively (${n.calls} calls, all handed to cpu)`);
  }
  for (const k of c.fallback ?? []) if (!seen[k] || seen[k].calls === 0) problems.push(`${k} was never dispatched on ${BACKEND_NAME}`);
  if (status.native) {
    for (const [k, n] of Object.entries(seen)) {
      const allowed = PARTIAL_KERNELS.has(k) || (c.fallback ?? []).includes(k) || (c.mayFallback ?? []).includes(k);
      if (n.fallbacks > 0 && !allowed) problems.push(`${k} unexpectedly fell back to cpu (${n.fallbacks} of ${n.calls} calls)`);
    }
    for (const k of c.fallback ?? []) {
      if (seen[k] && seen[k].calls > 0 && seen[k].fallbacks === 0) problems.push(`${k} was expected to fall back to cpu here, but ran natively`);
    }
  }
  if (problems.length) problems.unshift(`case "${c.name}" (replay: ${replayHint()})`);
  return { problems, worst, counts: seen };
}

/** Collected worst ratios (printed with KDLTS_CONFORMANCE_VERBOSE=1: for calibrating tolerances). */
const verbose = process.env.KDLTS_CONFORMANCE_VERBOSE === '1';
const worstByCase: Array<[string, number]> = [];

/** Defines one jest test per case. */
export function defineCases(cases: Case[]): void {
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    names.add(c.name);
    test(c.name, async () => {
      const report = await checkCase(c);
      worstByCase.push([c.name, report.worst]);
      if (verbose) console.log(`${c.name}: worst ${report.worst.toPrecision(3)} ${JSON.stringify(report.counts)}`);
      expect(report.problems).toEqual([]);
    });
  }
  if (verbose) {
    afterAll(() => {
      const top = [...worstByCase].sort((a, b) => b[1] - a[1]).slice(0, 15);
      console.log(`worst |diff|/allowed:\n${top.map(([n, w]) => `  ${w.toPrecision(3)}  ${n}`).join('\n')}`);
    });
  }
}

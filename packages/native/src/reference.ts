// The TypeScript reference of the native core: the test oracle, and the fallback that serves
// every op when the addon cannot load.
//
// It mirrors the native binding layer by layer so that callers cannot tell the two apart except
// by speed and float rounding:
//   1. argument checks (native/binding/*.cpp): same order, same TypeError / RangeError messages;
//   2. the C API's validation (native/src/api.cpp): same statuses and messages, thrown as an
//      Error with `code` = 'KDLTS_ERR_...' and message "fn: <message>";
//   3. the math (native/tests/reference.hpp): plain loops and sorts in double precision (plus
//      the native core's convention for 0 / 0: an all-zero row with eps = 0 normalises to zero).
// The *Async forms check their arguments synchronously (throwing, like the addon, before a
// Promise exists) and run the op later, rejecting with the same status errors.
import type { BindingModule, ExecOptions, GemmShape, GramParams, MaskArray, NativeInfo } from './binding';

// Globals looked up once: inside jest's vm context every global lookup in a hot loop is ~50x slower.
const { floor, fround, max, min, sqrt } = Math;
const { isFinite: isFiniteNumber, isNaN: isNaNNumber } = Number;
const INF = Number.POSITIVE_INFINITY;

// ---- formatting, as the C++ side prints numbers ---------------------------------------------

const f64 = new Float64Array(1);
const f64Bits = new Uint32Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** std::to_string(double), i.e. printf("%f"): exact decimal value rounded half-to-even to 6 places. */
export function formatCppDouble(value: number): string {
  f64[0] = value;
  const hi = f64Bits[littleEndian ? 1 : 0];
  const lo = f64Bits[littleEndian ? 0 : 1];
  const negative = hi >>> 31 === 1;
  if (isNaNNumber(value)) return negative ? '-nan' : 'nan';
  if (!isFiniteNumber(value)) return negative ? '-inf' : 'inf';
  const exponentBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (exponentBits === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  // |value| * 10^6 = mantissa * 10^6 * 2^exponent, rounded half to even.
  let numerator = mantissa * 1000000n;
  let denominator = 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  let quotient = numerator / denominator;
  const twiceRemainder = 2n * (numerator % denominator);
  if (twiceRemainder > denominator || (twiceRemainder === denominator && (quotient & 1n) === 1n)) quotient += 1n;
  const digits = quotient.toString().padStart(7, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

function describeNonFinite(value: number): string {
  return isNaNNumber(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}

// ---- errors ---------------------------------------------------------------------------------

export type StatusCode =
  | 'KDLTS_ERR_INVALID_ARGUMENT'
  | 'KDLTS_ERR_NON_FINITE'
  | 'KDLTS_ERR_INFEASIBLE'
  | 'KDLTS_ERR_OUT_OF_MEMORY'
  | 'KDLTS_ERR_BACKEND'
  | 'KDLTS_ERR_INTERNAL';

/** A failure inside an op (a C status in the addon): thrown by the C-level part of `run`. */
class StatusFailure {
  constructor(
    readonly code: StatusCode,
    readonly message: string,
  ) {}
}

function fail(code: StatusCode, message: string): never {
  throw new StatusFailure(code, message);
}

/** The addon's error for a failed C call: a plain Error, message "fn: message", `.code`. */
function statusError(fn: string, failure: StatusFailure): Error & { code: StatusCode } {
  return Object.assign(new Error(`${fn}: ${failure.message}`), { code: failure.code });
}

// ---- argument checks (native/binding/args.cpp) ----------------------------------------------

const typedArrayTagGetter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined;

const KNOWN_TYPED_ARRAYS = new Set([
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

/** The typed array's element type name (realm-independent), or undefined for anything else. */
function typedArrayName(value: unknown): string | undefined {
  if (!ArrayBuffer.isView(value)) return undefined;
  const tag = typedArrayTagGetter.call(value);
  if (tag === undefined) return undefined; // a DataView
  return KNOWN_TYPED_ARRAYS.has(tag) ? tag : 'typed array';
}

function describe(value: unknown): string {
  const typed = typedArrayName(value);
  if (typed !== undefined) return typed;
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  return 'an object';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

class Where {
  constructor(readonly fn: string) {}
  arg(name: string): string {
    return `${this.fn}: argument '${name}'`;
  }
}

function typedArray<T>(where: Where, value: unknown, name: string, expected: string): T {
  if (typedArrayName(value) !== expected) {
    throw new TypeError(`${where.arg(name)} must be a ${expected}, got ${describe(value)}`);
  }
  return value as T;
}

function float32Array(where: Where, value: unknown, name: string): Float32Array {
  return typedArray<Float32Array>(where, value, name, 'Float32Array');
}

function float64Array(where: Where, value: unknown, name: string): Float64Array {
  return typedArray<Float64Array>(where, value, name, 'Float64Array');
}

function maskArray(where: Where, value: unknown): MaskArray {
  const typed = typedArrayName(value);
  if (typed === 'Uint8Array' || typed === 'Float32Array') return value as MaskArray;
  throw new TypeError(`${where.arg('mask')} must be a Uint8Array or a Float32Array, got ${describe(value)}`);
}

function float32Arrays(where: Where, value: unknown, name: string): Float32Array[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`${where.arg(name)} must be an array of Float32Arrays, got ${describe(value)}`);
  }
  const out: Float32Array[] = [];
  for (let i = 0; i < value.length; i++) out.push(float32Array(where, value[i], `${name}[${i}]`));
  return out;
}

function sizeArg(where: Where, value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${where.arg(name)} must be a number, got ${describe(value)}`);
  if (!(value >= 0 && value <= 9007199254740991 && floor(value) === value)) {
    throw new RangeError(`${where.arg(name)} must be a non-negative integer, got ${formatCppDouble(value)}`);
  }
  return value === 0 ? 0 : value; // -0 -> 0, like the int64 conversion
}

function numberArg(where: Where, value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${where.arg(name)} must be a number, got ${describe(value)}`);
  if (!isFiniteNumber(value)) throw new RangeError(`${where.arg(name)} must be finite, got ${formatCppDouble(value)}`);
  return value;
}

function sizeList(where: Where, value: unknown, name: string): number[] {
  if (!Array.isArray(value)) throw new TypeError(`${where.arg(name)} must be an array of numbers, got ${describe(value)}`);
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) out.push(sizeArg(where, value[i], `${name}[${i}]`));
  return out;
}

function numberList(where: Where, value: unknown, name: string): number[] {
  if (!Array.isArray(value)) throw new TypeError(`${where.arg(name)} must be an array of numbers, got ${describe(value)}`);
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) out.push(numberArg(where, value[i], `${name}[${i}]`));
  return out;
}

interface Exec {
  backend: 'auto' | 'cpu' | 'cuda';
  numThreads: number;
}

function execArg(where: Where, value: unknown): Exec {
  const exec: Exec = { backend: 'auto', numThreads: 0 };
  if (value === undefined || value === null) return exec;
  if (!isObject(value)) throw new TypeError(`${where.arg('exec')} must be an object, got ${describe(value)}`);
  const backend = value.backend;
  if (backend !== undefined) {
    if (backend === 'auto' || backend === 'cpu' || backend === 'cuda') exec.backend = backend;
    else throw new TypeError(`${where.arg('exec.backend')} must be 'auto', 'cpu' or 'cuda'`);
  }
  const threads = value.numThreads;
  if (threads !== undefined) {
    const n = sizeArg(where, threads, 'exec.numThreads');
    if (n > 4096) throw new RangeError(`${where.arg('exec.numThreads')} must be <= 4096`);
    exec.numThreads = n;
  }
  return exec;
}

function requireLength(where: Where, name: string, actual: number, expected: number, why: string): void {
  if (actual !== expected) {
    throw new RangeError(`${where.arg(name)} has length ${actual}, expected ${expected} (${why})`);
  }
}

// ---- the C API's dispatch (native/src/api.cpp) ----------------------------------------------

/** The reference has no CUDA backend: 'cuda' fails like a build without CUDA; 'auto' runs here. */
function requireCpu(exec: Exec): void {
  if (exec.backend === 'cuda') {
    fail('KDLTS_ERR_BACKEND', 'exec.backend: CUDA requested but kdlts was built without CUDA (the TypeScript reference has no CUDA backend)');
  }
}

/** Checks the arguments now; returns the op, which throws StatusFailure on failure. */
type Prepared<T> = () => T;

function runSync<T>(fn: string, prepare: (where: Where) => Prepared<T>): T {
  const run = prepare(new Where(fn));
  try {
    return run();
  } catch (error) {
    throw error instanceof StatusFailure ? statusError(fn, error) : error;
  }
}

function runAsync<T>(fn: string, prepare: (where: Where) => Prepared<T>): Promise<T> {
  const run = prepare(new Where(fn)); // argument errors throw here, synchronously, as in the addon
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(run());
      } catch (error) {
        reject(error instanceof StatusFailure ? statusError(fn, error) : error);
      }
    });
  });
}

/**
 * Fails with KDLTS_ERR_NON_FINITE at the first element `bad` flags, naming it as the native
 * kernels do: "y[25] (group 1, element 15) is NaN".
 */
function requireFiniteGroups(values: ArrayLike<number>, name: string, sizes: readonly number[], bad: (v: number) => boolean): void {
  let start = 0;
  sizes.forEach((n, g) => {
    for (let i = start; i < start + n; i++) {
      if (bad(values[i])) fail('KDLTS_ERR_NON_FINITE', `${name}[${i}] (group ${g}, element ${i - start}) is ${describeNonFinite(values[i])}`);
    }
    start += n;
  });
}

/**
 * The Gram ops' input checks, in the native kernels' order and words: row by row, the first
 * non-finite element ("features[1] row 2, column 5 is NaN"), or a finite row whose squared norm
 * overflows float32 (the native core forms F F^T in float32).
 */
function requireFiniteFeatures(f: ArrayLike<number>, l: number, batch: number, dim: number): void {
  for (let i = 0; i < batch; i++) {
    let squares = 0;
    for (let d = 0; d < dim; d++) {
      const v = f[i * dim + d];
      if (!isFiniteNumber(v)) fail('KDLTS_ERR_NON_FINITE', `features[${l}] row ${i}, column ${d} is ${describeNonFinite(v)}`);
      squares += v * v;
    }
    if (fround(squares) === INF) fail('KDLTS_ERR_NON_FINITE', `features[${l}] row ${i} is finite but its squared norm overflows float32`);
  }
}

/** dL/dG, block by block: "dgrams[1] row 3, column 1 is NaN". */
function requireFiniteDgrams(dgrams: ArrayLike<number>, blocks: number, batch: number): void {
  const bb = batch * batch;
  for (let l = 0; l < blocks; l++) {
    for (let e = 0; e < bb; e++) {
      const v = dgrams[l * bb + e];
      if (!isFiniteNumber(v)) {
        fail('KDLTS_ERR_NON_FINITE', `dgrams[${l}] row ${floor(e / batch)}, column ${e % batch} is ${describeNonFinite(v)}`);
      }
    }
  }
}

const notFinite = (v: number) => !isFiniteNumber(v);

// ---- the math (native/tests/reference.hpp) --------------------------------------------------

/**
 * G = F^ F^T (B x B, double) with f^_i = f_i / max(|f_i|, eps), or F F^T when !normalize. F is
 * B x D. An all-zero row with eps = 0 (0 / 0) is taken as a zero row, as the native core does.
 */
export function gramForward64(f: ArrayLike<number>, batch: number, dim: number, normalize: boolean, eps: number): Float64Array {
  const scale = new Float64Array(batch).fill(1);
  if (normalize) {
    for (let i = 0; i < batch; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += f[i * dim + d] * f[i * dim + d];
      const r = max(sqrt(s), eps);
      scale[i] = r > 0 ? 1 / r : 0; // an all-zero row with eps = 0: its normalised row is taken as zero
    }
  }
  const g = new Float64Array(batch * batch);
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < batch; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += f[i * dim + d] * f[j * dim + d];
      g[i * batch + j] = s * scale[i] * scale[j];
    }
  }
  return g;
}

/** dL/dF (B x D, double) given dL/dG (B x B, not necessarily symmetric) for gramForward64 (a zero gradient for a zero row with eps = 0). */
export function gramBackward64(
  f: ArrayLike<number>,
  dg: ArrayLike<number>,
  batch: number,
  dim: number,
  normalize: boolean,
  eps: number,
): Float64Array {
  // f^ and the row norms r (clamped rows have r = eps and no projection term).
  const fh = new Float64Array(batch * dim);
  const r = new Float64Array(batch).fill(1);
  const clamped = new Array<boolean>(batch).fill(!normalize);
  for (let i = 0; i < batch; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += f[i * dim + d] * f[i * dim + d];
    if (normalize) {
      const norm = sqrt(s);
      r[i] = max(norm, eps);
      clamped[i] = norm <= eps;
    }
    for (let d = 0; d < dim; d++) fh[i * dim + d] = r[i] > 0 ? f[i * dim + d] / r[i] : 0; // eps = 0, zero row: zero
  }
  // dF^ = (dG + dG^T) F^
  const dfh = new Float64Array(batch * dim);
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < batch; j++) {
      const s = dg[i * batch + j] + dg[j * batch + i];
      for (let d = 0; d < dim; d++) dfh[i * dim + d] += s * fh[j * dim + d];
    }
  }
  // dF_i = (dF^_i - (dF^_i . f^_i) f^_i) / r_i  (no projection for clamped or unnormalised rows)
  const df = new Float64Array(batch * dim);
  for (let i = 0; i < batch; i++) {
    let dot = 0;
    if (!clamped[i]) for (let d = 0; d < dim; d++) dot += dfh[i * dim + d] * fh[i * dim + d];
    for (let d = 0; d < dim; d++) df[i * dim + d] = r[i] > 0 ? (dfh[i * dim + d] - dot * fh[i * dim + d]) / r[i] : 0;
  }
  return df;
}

/** phi(lambda) = sum_i clip(y_i - lambda, 0, 1) over y[start, start + n). */
export function cappedSum(y: ArrayLike<number>, lambda: number, start = 0, n = y.length - start): number {
  let s = 0;
  for (let i = start; i < start + n; i++) s += min(1, max(0, y[i] - lambda));
  return s;
}

/**
 * The threshold lambda of the Euclidean projection of y[start, start + n) onto
 * {x in [0,1]^n : sum x = k}, by the sweep over the sorted breakpoints {y_i - 1, y_i} of the
 * piecewise-linear phi (reference.hpp's capped_simplex_threshold, the same arithmetic in the
 * same order). The breakpoints come from one sort of y: the entry points y_i - 1 are then
 * sorted too, and a merge visits every distinct breakpoint once. Requires 0 <= k <= n.
 */
export function cappedSimplexThreshold(y: ArrayLike<number>, k: number, start = 0, n = y.length - start): number {
  if (n === 0) return 0;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = y[start + i];
  sorted.sort();
  if (k <= 0) return sorted[n - 1];
  if (k >= n) return sorted[0] - 1;
  let enter = 0; // next y_i - 1 (an element enters the linear part)
  let leave = 0; // next y_i (it leaves it)
  let prev = sorted[0] - 1;
  let phi = n;
  let active = 0;
  while (enter < n || leave < n) {
    const at = min(enter < n ? sorted[enter] - 1 : INF, leave < n ? sorted[leave] : INF);
    const nextPhi = phi - active * (at - prev);
    if (nextPhi <= k) return active > 0 ? prev + (phi - k) / active : prev;
    phi = nextPhi;
    prev = at;
    while (enter < n && sorted[enter] - 1 === at) {
      active++;
      enter++;
    }
    while (leave < n && sorted[leave] === at) {
      active--;
      leave++;
    }
  }
  return prev; // unreachable for 0 < k < n
}

/**
 * Writes the top-k mask of scores[start, start + n) into mask[start, start + n): exactly k ones
 * at the k largest scores, ties keep the lower index, -0 == +0. By a sort of the values (not of
 * indices): t = the k-th largest value; keep every score > t, then the first (in index order)
 * scores equal to t until k are kept.
 */
export function topkInto(scores: ArrayLike<number>, k: number, mask: MaskArray, start = 0, n = scores.length - start): void {
  if (k === 0 || k === n) {
    mask.fill(k === 0 ? 0 : 1, start, start + n);
    return;
  }
  const sorted = new Float32Array(n);
  for (let i = 0; i < n; i++) sorted[i] = scores[start + i];
  sorted.sort(); // ascending; -0 sorts before +0 but compares equal below
  const t = sorted[n - k];
  let greater = 0;
  for (let i = start; i < start + n; i++) if (scores[i] > t) greater++;
  let ties = k - greater; // how many scores equal to t are kept, lowest indices first
  for (let i = start; i < start + n; i++) {
    const s = scores[i];
    let keep = s > t;
    if (!keep && s === t && ties > 0) {
      keep = true;
      ties--;
    }
    mask[i] = keep ? 1 : 0;
  }
}

// ---- the ops --------------------------------------------------------------------------------

interface GramInputs {
  dims: number[];
  normalize: boolean;
  eps: number; // as the C API sees it: float32
}

function readGramInputs(where: Where, features: Float32Array[], batch: number, options: unknown): GramInputs {
  const dims: number[] = [];
  for (let l = 0; l < features.length; l++) {
    const length = features[l].length;
    if (batch === 0 ? length !== 0 : length % batch !== 0) {
      throw new RangeError(`${where.arg(`features[${l}]`)} has length ${length}, not a multiple of batch = ${batch}`);
    }
    dims.push(batch === 0 ? 0 : length / batch);
  }
  if (!isObject(options)) throw new TypeError(`${where.arg('options')} must be an object`);
  const normalize = options.normalize;
  if (typeof normalize !== 'boolean') throw new TypeError(`${where.arg('options.normalize')} must be a boolean`);
  const eps = numberArg(where, options.eps, 'options.eps');
  if (eps < 0) throw new RangeError(`${where.arg('options.eps')} must be >= 0`);
  return { dims, normalize, eps: fround(eps) };
}

/** api.cpp's validate_gram: the only check the binding cannot have done is eps overflowing float. */
function validateGram(inputs: GramInputs): void {
  if (!(isFiniteNumber(inputs.eps) && inputs.eps >= 0)) fail('KDLTS_ERR_INVALID_ARGUMENT', 'params.eps must be finite and >= 0');
}

/** Copies of the inputs that share memory with an output (the math reads them after writes start). */
function unaliased(inputs: Float32Array[], outputs: ArrayBufferView[]): Float32Array[] {
  return inputs.map((input) => (input.length > 0 && outputs.some((o) => o.buffer === input.buffer) ? input.slice() : input));
}

function gramForwardOp(args: unknown[]) {
  return (where: Where): Prepared<Float32Array> => {
    const features = float32Arrays(where, args[0], 'features');
    const batch = sizeArg(where, args[1], 'batch');
    const grams = float32Array(where, args[2], 'grams');
    const inputs = readGramInputs(where, features, batch, args[3]);
    const exec = execArg(where, args[4]);
    requireLength(where, 'grams', grams.length, features.length * batch * batch, 'features.length * batch * batch');
    return () => {
      validateGram(inputs);
      if (features.length === 0 || batch === 0) return grams;
      requireCpu(exec);
      features.forEach((f, l) => requireFiniteFeatures(f, l, batch, inputs.dims[l]));
      const blocks = unaliased(features, [grams]);
      blocks.forEach((f, l) => grams.set(gramForward64(f, batch, inputs.dims[l], inputs.normalize, inputs.eps), l * batch * batch));
      return grams;
    };
  };
}

function gramBackwardOp(args: unknown[]) {
  return (where: Where): Prepared<Float32Array[]> => {
    const features = float32Arrays(where, args[0], 'features');
    const dgrams = float32Array(where, args[1], 'dgrams');
    const batch = sizeArg(where, args[2], 'batch');
    const dfeatures = float32Arrays(where, args[3], 'dfeatures');
    const inputs = readGramInputs(where, features, batch, args[4]);
    const exec = execArg(where, args[5]);
    requireLength(where, 'dgrams', dgrams.length, features.length * batch * batch, 'features.length * batch * batch');
    requireLength(where, 'dfeatures', dfeatures.length, features.length, 'one block per feature block');
    for (let l = 0; l < dfeatures.length; l++) {
      requireLength(where, `dfeatures[${l}]`, dfeatures[l].length, features[l].length, `same shape as features[${l}]`);
      if (dfeatures[l].length > 0 && dfeatures[l].buffer === features[l].buffer) {
        throw new RangeError(`${where.arg(`dfeatures[${l}]`)} must not share memory with features[${l}]`);
      }
    }
    const result = args[3] as Float32Array[];
    return () => {
      validateGram(inputs);
      if (features.length === 0 || batch === 0) return result;
      requireCpu(exec);
      requireFiniteDgrams(dgrams, features.length, batch); // dL/dG first, as the native kernel does
      features.forEach((f, l) => requireFiniteFeatures(f, l, batch, inputs.dims[l]));
      const blocks = unaliased(features, dfeatures);
      const [dg] = unaliased([dgrams], dfeatures);
      const block = batch * batch;
      blocks.forEach((f, l) => {
        const g = dg.subarray(l * block, (l + 1) * block);
        dfeatures[l].set(gramBackward64(f, g, batch, inputs.dims[l], inputs.normalize, inputs.eps));
      });
      return result;
    };
  };
}

function projectionOp(args: unknown[]) {
  return (where: Where): Prepared<Float32Array> => {
    const y = float32Array(where, args[0], 'y');
    const sizes = sizeList(where, args[1], 'groupSizes');
    const budgets = numberList(where, args[2], 'budgets');
    const x = float32Array(where, args[3], 'x');
    const hasThresholds = !(args[4] === null || args[4] === undefined);
    const exec = execArg(where, args[5]);
    const total = sizes.reduce((a, b) => a + b, 0);
    requireLength(where, 'y', y.length, total, 'the sum of groupSizes');
    requireLength(where, 'x', x.length, y.length, 'same length as y');
    requireLength(where, 'budgets', budgets.length, sizes.length, 'one budget per group');
    let thresholds: Float64Array | null = null;
    if (hasThresholds) {
      thresholds = float64Array(where, args[4], 'thresholds');
      requireLength(where, 'thresholds', thresholds.length, sizes.length, 'one per group');
    }
    return () => {
      sizes.forEach((size, g) => {
        const k = budgets[g];
        if (!(k >= 0 && k <= size)) {
          fail('KDLTS_ERR_INFEASIBLE', `params.budgets[${g}] = ${formatCppDouble(k)} is outside [0, ${size}] (the group's size)`);
        }
      });
      if (total === 0) {
        thresholds?.fill(0);
        return x;
      }
      requireCpu(exec);
      requireFiniteGroups(y, 'y', sizes, notFinite);
      const input = x.buffer === y.buffer && x !== y ? y.slice() : y; // x may alias y exactly; copy other overlaps
      let start = 0;
      sizes.forEach((n, g) => {
        const lambda = cappedSimplexThreshold(input, budgets[g], start, n);
        for (let i = start; i < start + n; i++) x[i] = min(1, max(0, input[i] - lambda));
        if (thresholds) thresholds[g] = lambda;
        start += n;
      });
      return x;
    };
  };
}

function topkOp<M extends MaskArray>(args: unknown[]) {
  return (where: Where): Prepared<M> => {
    const scores = float32Array(where, args[0], 'scores');
    const sizes = sizeList(where, args[1], 'groupSizes');
    const ks = sizeList(where, args[2], 'k');
    const mask = maskArray(where, args[3]) as M;
    const exec = execArg(where, args[4]);
    const total = sizes.reduce((a, b) => a + b, 0);
    requireLength(where, 'scores', scores.length, total, 'the sum of groupSizes');
    requireLength(where, 'mask', mask.length, scores.length, 'same length as scores');
    requireLength(where, 'k', ks.length, sizes.length, 'one k per group');
    return () => {
      sizes.forEach((size, g) => {
        const k = ks[g];
        if (k < 0 || k > size) fail('KDLTS_ERR_INFEASIBLE', `params.k[${g}] = ${k} is outside [0, ${size}] (the group's size)`);
      });
      if (total === 0) return mask;
      requireCpu(exec);
      requireFiniteGroups(scores, 'scores', sizes, isNaNNumber);
      const [input] = unaliased([scores], [mask]);
      let start = 0;
      sizes.forEach((n, g) => {
        topkInto(input, ks[g], mask, start, n);
        start += n;
      });
      return mask;
    };
  };
}

function optionalSize(where: Where, shape: Record<string, unknown>, key: string, fallback: number): number {
  const v = shape[key];
  return v === undefined ? fallback : sizeArg(where, v, `shape.${key}`);
}

function optionalNumber(where: Where, shape: Record<string, unknown>, key: string, fallback: number): number {
  const v = shape[key];
  return v === undefined ? fallback : numberArg(where, v, `shape.${key}`);
}

/** A rows x cols matrix with row stride ld must fit in `length` elements. */
function requireFits(where: Where, name: string, length: number, rows: number, cols: number, ld: number): void {
  if (rows === 0 || cols === 0) return;
  if (ld < cols) throw new RangeError(`${where.arg(name)}: row stride ${ld} is smaller than its ${cols} columns`);
  const needed = (rows - 1) * ld + cols;
  if (length < needed) {
    throw new RangeError(
      `${where.arg(name)} has length ${length}, needs ${needed} for a ${rows} x ${cols} matrix with row stride ${ld}`,
    );
  }
}

function sgemmOp(args: unknown[]) {
  return (where: Where): Prepared<Float32Array> => {
    const a = float32Array(where, args[0], 'a');
    const b = float32Array(where, args[1], 'b');
    const c = float32Array(where, args[2], 'c');
    if (!isObject(args[3])) throw new TypeError(`${where.arg('shape')} must be an object`);
    const o = args[3];
    const m = sizeArg(where, o.m, 'shape.m');
    const n = sizeArg(where, o.n, 'shape.n');
    const k = sizeArg(where, o.k, 'shape.k');
    const transA = o.transA === true;
    const transB = o.transB === true;
    const alpha = fround(optionalNumber(where, o, 'alpha', 1));
    const beta = fround(optionalNumber(where, o, 'beta', 0));
    const lda = optionalSize(where, o, 'lda', transA ? m : k);
    const ldb = optionalSize(where, o, 'ldb', transB ? k : n);
    const ldc = optionalSize(where, o, 'ldc', n);
    execArg(where, args[4]); // checked; sgemm is CPU only, like the C API
    requireFits(where, 'a', a.length, transA ? k : m, transA ? m : k, lda);
    requireFits(where, 'b', b.length, transB ? n : k, transB ? k : n, ldb);
    requireFits(where, 'c', c.length, m, n, ldc);
    return () => {
      if (m === 0 || n === 0) return c;
      const [pa, pb] = unaliased([a, b], [c]);
      // BLAS semantics: beta == 0 overwrites C without reading it; alpha == 0 skips the product.
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          if (alpha !== 0) {
            for (let p = 0; p < k; p++) {
              const av = transA ? pa[p * lda + i] : pa[i * lda + p];
              const bv = transB ? pb[j * ldb + p] : pb[p * ldb + j];
              sum += av * bv;
            }
          }
          const old = beta === 0 ? 0 : beta * c[i * ldc + j];
          c[i * ldc + j] = (alpha === 0 ? 0 : alpha * sum) + old;
        }
      }
      return c;
    };
  };
}

function copyOp(args: unknown[]) {
  return (where: Where): Prepared<Float32Array> => {
    const src = float32Array(where, args[0], 'src');
    const dst = float32Array(where, args[1], 'dst');
    execArg(where, args[2]); // checked; the copy is CPU only, like the C API
    requireLength(where, 'dst', dst.length, src.length, 'same length as src');
    return () => {
      if (src.length > 0) dst.set(src);
      return dst;
    };
  };
}

const REFERENCE_INFO: NativeInfo = {
  version: 'reference',
  gemmEngine: 'reference',
  cudaCompiled: false,
  cudaDevices: 0,
  hardwareThreads: 1,
};

/** Every op of the addon, in plain TypeScript (same checks, same errors, double-precision math). */
export const referenceBinding: BindingModule = {
  info: () => ({ ...REFERENCE_INFO }),
  gramForward: (features: Float32Array[], batch: number, grams: Float32Array, params: GramParams, exec?: ExecOptions) =>
    runSync('gramForward', gramForwardOp([features, batch, grams, params, exec])),
  gramForwardAsync: (features: Float32Array[], batch: number, grams: Float32Array, params: GramParams, exec?: ExecOptions) =>
    runAsync('gramForwardAsync', gramForwardOp([features, batch, grams, params, exec])),
  gramBackward: (
    features: Float32Array[],
    dgrams: Float32Array,
    batch: number,
    dfeatures: Float32Array[],
    params: GramParams,
    exec?: ExecOptions,
  ) => runSync('gramBackward', gramBackwardOp([features, dgrams, batch, dfeatures, params, exec])),
  gramBackwardAsync: (
    features: Float32Array[],
    dgrams: Float32Array,
    batch: number,
    dfeatures: Float32Array[],
    params: GramParams,
    exec?: ExecOptions,
  ) => runAsync('gramBackwardAsync', gramBackwardOp([features, dgrams, batch, dfeatures, params, exec])),
  projectCappedSimplex: (
    y: Float32Array,
    groupSizes: number[],
    budgets: number[],
    x: Float32Array,
    thresholds: Float64Array | null,
    exec?: ExecOptions,
  ) => runSync('projectCappedSimplex', projectionOp([y, groupSizes, budgets, x, thresholds, exec])),
  projectCappedSimplexAsync: (
    y: Float32Array,
    groupSizes: number[],
    budgets: number[],
    x: Float32Array,
    thresholds: Float64Array | null,
    exec?: ExecOptions,
  ) => runAsync('projectCappedSimplexAsync', projectionOp([y, groupSizes, budgets, x, thresholds, exec])),
  topkMask: <M extends MaskArray>(scores: Float32Array, groupSizes: number[], k: number[], mask: M, exec?: ExecOptions) =>
    runSync('topkMask', topkOp<M>([scores, groupSizes, k, mask, exec])),
  topkMaskAsync: <M extends MaskArray>(scores: Float32Array, groupSizes: number[], k: number[], mask: M, exec?: ExecOptions) =>
    runAsync('topkMaskAsync', topkOp<M>([scores, groupSizes, k, mask, exec])),
  sgemm: (a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, exec?: ExecOptions) =>
    runSync('sgemm', sgemmOp([a, b, c, shape, exec])),
  sgemmAsync: (a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, exec?: ExecOptions) =>
    runAsync('sgemmAsync', sgemmOp([a, b, c, shape, exec])),
  copyF32: (src: Float32Array, dst: Float32Array, exec?: ExecOptions) => runSync('copyF32', copyOp([src, dst, exec])),
  copyF32Async: (src: Float32Array, dst: Float32Array, exec?: ExecOptions) => runAsync('copyF32Async', copyOp([src, dst, exec])),
};

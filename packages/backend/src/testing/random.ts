// Seeded inputs for the backend suites: a small PRNG (mulberry32) and the value generators the
// cases draw from.
//
// Every conformance case draws fresh inputs: the run's base seed changes from run to run
// (unless KDLTS_TEST_SEED fixes it) and each case mixes in its own name, so no two cases share a
// stream. A failing case prints the seed and the command that replays it. (The training-curve
// and memory tests use fixed seeds: their tolerances are calibrated on one trajectory.)

// Globals looked up once: inside jest's vm context every global lookup in a hot loop is slow.
const { cos, floor, imul, log, round, sqrt, PI } = Math;

/** 32-bit FNV-1a of a string (mixes a case's name into the base seed). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function freshBaseSeed(): number {
  const fromEnv = process.env.KDLTS_TEST_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const parsed = Number(fromEnv);
    if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`KDLTS_TEST_SEED must be a non-negative integer, got ${fromEnv}`);
    return parsed >>> 0;
  }
  return (floor(Math.random() * 0x100000000) ^ Date.now() ^ (process.pid << 16)) >>> 0;
}

/** The base seed of this test process (KDLTS_TEST_SEED, or fresh each run). */
export const baseSeed: number = freshBaseSeed();

/** The seed of one case: the base seed mixed with the case's name. */
export function seedFor(label: string): number {
  return (imul(baseSeed ^ 0x9e3779b9, 0x85ebca6b) ^ hashString(label)) >>> 0;
}

/** How to replay a failure. */
export function replayHint(): string {
  return `KDLTS_TEST_SEED=${baseSeed} npx jest (in packages/backend)`;
}

/** mulberry32: a tiny, well-mixed 32-bit generator (plenty for test inputs). */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  normal(mean = 0, sd = 1): number {
    let u = this.next();
    while (u === 0) u = this.next();
    return mean + sd * sqrt(-2 * log(u)) * cos(2 * PI * this.next());
  }

  /** A uniform integer in [lo, hi). */
  int(lo: number, hi: number): number {
    if (!(hi > lo)) throw new RangeError(`Rng.int: empty range [${lo}, ${hi})`);
    return lo + floor(this.next() * (hi - lo));
  }
}

/** Fills n values. Generators are pure functions of (rng, n): both backends get the same data. */
export type Generator = (rng: Rng, n: number) => Float32Array | Int32Array;

/** N(mean, sd^2) rounded to float32. */
export const normal = (sd = 1, mean = 0): Generator => (rng, n) => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal(mean, sd);
  return v;
};

export const uniform = (lo: number, hi: number): Generator => (rng, n) => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(lo, hi);
  return v;
};

/** |N(0, sd^2)| pushed away from zero by `min` (divisors, logs, square roots). */
export const positive = (min = 0.1, sd = 1): Generator => (rng, n) => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = min + Math.abs(rng.normal(0, sd));
  return v;
};

/** Either sign, |v| >= min (divisors). */
export const awayFromZero = (min = 0.25, sd = 1): Generator => (rng, n) => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (rng.next() < 0.5 ? -1 : 1) * (min + Math.abs(rng.normal(0, sd)));
  return v;
};

/**
 * Dyadic values: multiples of 2^-bits in [-range, range]. Products and sums of a few thousand of
 * them are exact in float32, so a GEMM or convolution on them has one right answer whatever the
 * summation order (and a fused ReLU's mask cannot differ between backends).
 */
export const grid = (bits = 3, range = 2): Generator => (rng, n) => {
  const v = new Float32Array(n);
  const steps = range * 2 ** bits;
  for (let i = 0; i < n; i++) v[i] = rng.int(-steps, steps + 1) / 2 ** bits;
  return v;
};

/** Values drawn from a small set: maxima tie within most windows / rows. */
export const choices = (values: number[]): Generator => (rng, n) => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = values[rng.int(0, values.length)];
  return v;
};

/** max(0, N(0,1)): about half exact zeros (ties after a ReLU). */
export const reluNormal = (): Generator => (rng, n) => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.max(0, rng.normal());
  return v;
};

export const ints = (lo: number, hi: number): Generator => (rng, n) => {
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.int(lo, hi);
  return v;
};

export const constant = (value: number): Generator => (_rng, n) => new Float32Array(n).fill(value);

/** `base`, with a fraction of the positions replaced by the given special values. */
export const sprinkle = (base: Generator, specials: number[], fraction = 0.15): Generator => (rng, n) => {
  const v = base(rng, n);
  for (let i = 0; i < n; i++) if (rng.next() < fraction) v[i] = specials[rng.int(0, specials.length)];
  return v;
};

/** NaN, both infinities, both zeros. */
export const SPECIALS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];

/** Rounds to the nearest integer (for generators that need integral float values). */
export const integral = (base: Generator): Generator => (rng, n) => {
  const v = base(rng, n);
  for (let i = 0; i < n; i++) v[i] = round(v[i]);
  return v;
};

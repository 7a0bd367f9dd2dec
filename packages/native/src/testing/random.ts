// Seeded randomness for tests: a small PRNG (mulberry32) plus the helpers the suites need.
//
// Every test draws fresh inputs: the run's base seed changes from run to run (unless
// KDLTS_TEST_SEED fixes it), and each test mixes in its own label, so no two tests share a
// stream. withSeed() prefixes any failure with the seed and the command that reproduces it.

// Globals looked up once: inside jest's vm context every global lookup in a hot loop is ~50x slower.
const { cos, floor, imul, log, sqrt, PI } = Math;

/** 32-bit FNV-1a of a string (mixes a test's label into the base seed). */
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

/** The seed of one test: the base seed mixed with the test's label. */
export function seedFor(label: string): number {
  return (imul(baseSeed ^ 0x9e3779b9, 0x85ebca6b) ^ hashString(label)) >>> 0;
}

/** mulberry32: a tiny, fast, well-mixed 32-bit generator (plenty for test inputs). */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller) scaled to (mean, sd). */
  normal(mean = 0, sd = 1): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + sd * sqrt(-2 * log(u)) * cos(2 * PI * v);
  }

  /** A uniform integer in [lo, hi) (hi - lo <= 2^32). */
  int(lo: number, hi: number): number {
    if (!(hi > lo)) throw new RangeError(`Rng.int: empty range [${lo}, ${hi})`);
    return lo + floor(this.next() * (hi - lo));
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length)];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** n float32 values drawn from `draw` (default: uniform in [-1, 1)). */
  float32(n: number, draw: (rng: Rng) => number = (r) => r.uniform(-1, 1)): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = draw(this);
    return out;
  }

  /** n float32 standard normals times `scale`. */
  normals(n: number, scale = 1): Float32Array {
    return this.float32(n, (r) => r.normal(0, scale));
  }

  /** n float32 values each drawn uniformly from `values` (duplicates on purpose). */
  choices(n: number, values: readonly number[]): Float32Array {
    return this.float32(n, (r) => r.pick(values));
  }
}

function describeSeed(label: string, seed: number): string {
  return `[${label}: seed ${seed}; reproduce with KDLTS_TEST_SEED=${baseSeed}]`;
}

function annotate(error: unknown, label: string, seed: number): unknown {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as Error;
    const note = describeSeed(label, seed);
    const original = String(e.message);
    e.message = `${note}\n${original}`;
  }
  return error;
}

/**
 * Runs `body` with a generator seeded for `label`; any failure (thrown or rejected) carries
 * the seed and the KDLTS_TEST_SEED value that reproduces it.
 */
export function withSeed<T>(label: string, body: (rng: Rng) => T): T {
  const seed = seedFor(label);
  let result: T;
  try {
    result = body(new Rng(seed));
  } catch (error) {
    throw annotate(error, label, seed);
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    return (result as unknown as Promise<unknown>).catch((error: unknown) => {
      throw annotate(error, label, seed);
    }) as T;
  }
  return result;
}

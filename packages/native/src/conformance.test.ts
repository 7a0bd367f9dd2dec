// ONE conformance suite, run against every available binding: the TypeScript reference, the
// native addon's CPU backend (when the addon loads) and its CUDA backend (when a device exists).
// Each result is checked against the op's definition (projection: KKT form and budget; top-k:
// count, order and tie rule) and, for the addon, against the reference with the tolerances
// stated in testing/checks.ts. Inputs are fresh random draws; failures print their seed.
import type { BindingModule, ExecOptions, MaskArray } from './binding';
import { referenceBinding as ref } from './reference';
import {
  differences,
  gramBackwardProblems,
  gramForwardProblems,
  projectionDiffProblems,
  projectionProblems,
  sameBits,
  topkProblems,
  U,
} from './testing/checks';
import { withSeed, type Rng } from './testing/random';
import { targets, type Target } from './testing/targets';

// ---- input generators -------------------------------------------------------------------------

type Draw = (rng: Rng, n: number) => Float32Array;

const scoreDistributions: Record<string, Draw> = {
  uniform: (rng, n) => rng.float32(n, (r) => r.uniform(-1, 2)),
  normal: (rng, n) => rng.normals(n, 3),
  'values from {0,1,2}': (rng, n) => rng.choices(n, [0, 1, 2]),
  'all equal': (rng, n) => new Float32Array(n).fill(rng.normal()),
  'large offset': (rng, n) => rng.float32(n, (r) => 1000 + r.normal()),
  'tiny scale': (rng, n) => rng.normals(n, 1e-3),
  'few distinct': (rng, n) => {
    const values = Array.from({ length: 7 }, () => rng.normal());
    return rng.choices(n, values);
  },
};

function randomBudget(rng: Rng, n: number): number {
  switch (rng.int(0, 7)) {
    case 0:
      return 0;
    case 1:
      return n;
    case 2:
      return rng.int(0, n + 1);
    case 3:
      return Math.min(n, 0.5);
    case 4:
      return Math.max(0, n - 0.5);
    default:
      return rng.uniform(0, n);
  }
}

function randomK(rng: Rng, n: number): number {
  switch (rng.int(0, 6)) {
    case 0:
      return 0;
    case 1:
      return n;
    case 2:
      return Math.min(n, 1);
    case 3:
      return Math.max(0, n - 1);
    default:
      return rng.int(0, n + 1);
  }
}

/** Scores with ties, +/-0, +/-Inf, subnormals and extremes mixed in. */
function awkwardScores(rng: Rng, n: number): Float32Array {
  const specials = [0, -0, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38, -3.4e38, 1, 1, 2];
  return rng.float32(n, (r) => (r.bool(0.3) ? r.pick(specials) : r.normal()));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Random group sizes (zeros included) adding up to about `total`. */
function randomGroups(rng: Rng, total: number, maxGroups: number): number[] {
  const count = rng.int(1, maxGroups + 1);
  const sizes = Array.from({ length: count }, () => (rng.bool(0.2) ? 0 : rng.int(0, total + 1)));
  return sizes;
}

function blocks(rng: Rng, batch: number, dims: number[], zeroRowProbability = 0): Float32Array[] {
  return dims.map((dim) => {
    const scale = Math.exp(rng.uniform(Math.log(0.01), Math.log(10)));
    const f = rng.normals(batch * dim, scale);
    for (let i = 0; i < batch; i++) if (rng.bool(zeroRowProbability)) f.fill(0, i * dim, (i + 1) * dim);
    return f;
  });
}

// ---- the suite ----------------------------------------------------------------------------------

describe.each<Target>(targets())('conformance: $label', (target: Target) => {
  const { binding, exec, isReference } = target;
  const isCuda = exec.backend === 'cuda';
  const label = (name: string) => `${target.label}: ${name}`;

  function project(b: BindingModule, y: Float32Array, sizes: number[], budgets: number[], e: ExecOptions = exec) {
    const x = new Float32Array(y.length).fill(NaN); // every element must be written
    const thresholds = new Float64Array(sizes.length).fill(NaN);
    b.projectCappedSimplex(y, sizes, budgets, x, thresholds, e);
    return { x, thresholds };
  }

  /** Checks a projection on the target: the definition, then (for the addon) the reference. */
  function checkProjection(y: Float32Array, sizes: number[], budgets: number[]) {
    const got = project(binding, y, sizes, budgets);
    expect(projectionProblems(y, sizes, budgets, got.x, got.thresholds)).toEqual([]);
    if (!isReference) {
      const want = project(ref, y, sizes, budgets, {});
      expect(projectionDiffProblems(y, sizes, got.x, want.x, want.thresholds)).toEqual([]);
      // the threshold is unique when some x is strictly inside (0, 1): then compare it too
      // (1e-6 relative: a float32-level agreement, far looser than the phi check above)
      let start = 0;
      sizes.forEach((n, g) => {
        let interior = false;
        for (let i = start; i < start + n && !interior; i++) interior = want.x[i] > 1e-3 && want.x[i] < 1 - 1e-3;
        if (interior) expect(Math.abs(got.thresholds[g] - want.thresholds[g])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want.thresholds[g])));
        start += n;
      });
    }
    return got;
  }

  function topk<M extends MaskArray>(b: BindingModule, scores: Float32Array, sizes: number[], ks: number[], mask: M, e: ExecOptions = exec): M {
    mask.fill(mask instanceof Float32Array ? 0.5 : 7); // every element must be written
    return b.topkMask(scores, sizes, ks, mask, e);
  }

  function checkTopk(scores: Float32Array, sizes: number[], ks: number[]) {
    const got = topk(binding, scores, sizes, ks, new Uint8Array(scores.length));
    expect(topkProblems(scores, sizes, ks, got)).toEqual([]);
    if (!isReference) expect(differences(got, topk(ref, scores, sizes, ks, new Uint8Array(scores.length), {}))).toEqual([]);
    const asFloat = topk(binding, scores, sizes, ks, new Float32Array(scores.length));
    expect(differences(asFloat, got)).toEqual([]);
    return got;
  }

  // ---- Gram matrices ----------------------------------------------------------------------------

  describe('gram', () => {
    const gramForward = (features: Float32Array[], batch: number, normalize: boolean, eps: number) => {
      const grams = new Float32Array(features.length * batch * batch).fill(NaN);
      return binding.gramForward(features, batch, grams, { normalize, eps }, exec);
    };
    const gramBackward = (features: Float32Array[], dgrams: Float32Array, batch: number, normalize: boolean, eps: number) => {
      const out = features.map((f) => new Float32Array(f.length).fill(NaN));
      const result = binding.gramBackward(features, dgrams, batch, out, { normalize, eps }, exec);
      expect(result).toBe(out);
      return out;
    };
    const checkBoth = (features: Float32Array[], batch: number, normalize: boolean, eps: number, rng: Rng) => {
      const grams = gramForward(features, batch, normalize, eps);
      expect(gramForwardProblems(features, batch, normalize, eps, grams)).toEqual([]);
      const dgrams = rng.normals(features.length * batch * batch); // not symmetric
      const df = gramBackward(features, dgrams, batch, normalize, eps);
      expect(gramBackwardProblems(features, dgrams, batch, normalize, eps, df)).toEqual([]);
    };

    it('computes the 2x2 hand case, raw and normalised', () => {
      const f = new Float32Array([1, 2, 3, 4]);
      expect(Array.from(gramForward([f], 2, false, 1e-12))).toEqual([5, 11, 11, 25]); // small integers: exact in float32
      const g = gramForward([f], 2, true, 1e-12);
      const want = [1, 11 / (5 * Math.sqrt(5)), 11 / (5 * Math.sqrt(5)), 1];
      g.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(8 * U)); // a few float32 roundings of O(1) values
    });

    it('matches the reference over random shapes, normalize on and off, with zero rows', () =>
      withSeed(label('gram random shapes'), (rng) => {
        for (const batch of [1, 2, 3, 5, 8, 16, 31]) {
          const dims = Array.from({ length: rng.int(1, 5) }, () => rng.pick([0, 1, 2, 3, 7, 16, 33, 100, 257]));
          const features = blocks(rng, batch, dims, 0.15);
          checkBoth(features, batch, true, rng.pick([1e-12, 1e-6]), rng);
          checkBoth(features, batch, false, 1e-12, rng);
        }
      }));

    it('handles L = 20 blocks of very different D in one call', () =>
      withSeed(label('gram L=20'), (rng) => {
        const dims = rng.shuffle([0, 1, 2, 3, 5, 8, 17, 31, 64, 100, 128, 255, 256, 500, 1000, 1024, 2048, 3000, 4096, 5000]);
        for (const batch of [16, 1]) {
          const features = blocks(rng, batch, dims, 0.05);
          checkBoth(features, batch, true, 1e-12, rng);
          checkBoth(features, batch, false, 1e-12, rng);
        }
      }));

    it('handles B = 1, B = 0, L = 0, D = 0 and all-zero blocks', () =>
      withSeed(label('gram edges'), (rng) => {
        // B = 1 normalised: G = [1] (or [0] for a zero row)
        expect(Math.abs(gramForward([rng.normals(37)], 1, true, 1e-12)[0] - 1)).toBeLessThanOrEqual(64 * U); // (3 D + 16) U bound, D = 37 rounded up
        expect(Array.from(gramForward([new Float32Array(5)], 1, true, 1e-12))).toEqual([0]);
        // B = 0 / L = 0: nothing to write, nothing thrown
        expect(gramForward([new Float32Array(0), new Float32Array(0)], 0, true, 1e-12)).toHaveLength(0);
        expect(gramForward([], 4, true, 1e-12)).toHaveLength(0);
        expect(gramBackward([new Float32Array(0)], new Float32Array(0), 0, true, 1e-12)[0]).toHaveLength(0);
        // D = 0 and an all-zero block: zeros (never NaN), and zero gradients
        const features = [new Float32Array(0), new Float32Array(3 * 4)];
        expect(Array.from(gramForward(features, 3, true, 1e-12))).toEqual(new Array(18).fill(0));
        expect(Array.from(gramForward(features, 3, false, 1e-12))).toEqual(new Array(18).fill(0));
        const df = gramBackward(features, rng.normals(18), 3, false, 1e-12);
        expect(Array.from(df[1])).toEqual(new Array(12).fill(0));
        checkBoth(features, 3, true, 1e-12, rng);
      }));

    it('takes an all-zero row with eps = 0 as zero (not 0 / 0 = NaN), forward and backward', () =>
      withSeed(label('gram eps 0'), (rng) => {
        const batch = 5;
        const f = rng.normals(batch * 7);
        f.fill(0, 2 * 7, 3 * 7); // row 2
        const g = gramForward([f], batch, true, 0);
        expect(gramForwardProblems([f], batch, true, 0, g)).toEqual([]);
        expect([0, 1, 2, 3, 4].map((j) => g[2 * batch + j])).toEqual([0, 0, 0, 0, 0]);
        const dgrams = rng.normals(batch * batch);
        const [df] = gramBackward([f], dgrams, batch, true, 0);
        expect(gramBackwardProblems([f], dgrams, batch, true, 0, [df])).toEqual([]);
        expect(Array.from(df.subarray(14, 21))).toEqual([0, 0, 0, 0, 0, 0, 0]);
      }));

    it('async forms equal the sync forms bitwise', () =>
      withSeed(label('gram async'), async (rng) => {
        const batch = 12;
        const features = blocks(rng, batch, [5, 64, 0, 300], 0.1);
        const params = { normalize: true, eps: 1e-12 };
        const sync = binding.gramForward(features, batch, new Float32Array(4 * batch * batch), params, exec);
        const dgrams = rng.normals(4 * batch * batch);
        const syncBack = binding.gramBackward(features, dgrams, batch, features.map((f) => new Float32Array(f.length)), params, exec);
        const [async1, async2, asyncBack] = await Promise.all([
          binding.gramForwardAsync(features, batch, new Float32Array(4 * batch * batch), params, exec),
          binding.gramForwardAsync(features, batch, new Float32Array(4 * batch * batch), params, exec),
          binding.gramBackwardAsync(features, dgrams, batch, features.map((f) => new Float32Array(f.length)), params, exec),
        ]);
        expect(sameBits(async1, sync)).toBe(true);
        expect(sameBits(async2, sync)).toBe(true);
        asyncBack.forEach((d, l) => expect(sameBits(d, syncBack[l])).toBe(true));
      }));
  });

  // ---- capped-simplex projection ----------------------------------------------------------------

  describe('projection', () => {
    it('projects the documented example: y = [0.9, 0.8, 0.1, 2.0], k = 2 -> x = [0.55, 0.45, 0, 1], lambda = 0.35', () => {
      const y = new Float32Array([0.9, 0.8, 0.1, 2.0]);
      const { x, thresholds } = checkProjection(y, [4], [2]);
      // y holds float32 roundings of the decimals (within 3e-8): 1e-6 covers them and x's rounding
      [0.55, 0.45, 0, 1].forEach((want, i) => expect(Math.abs(x[i] - want)).toBeLessThanOrEqual(1e-6));
      expect(x[2]).toBe(0);
      expect(x[3]).toBe(1);
      expect(Math.abs(thresholds[0] - 0.35)).toBeLessThanOrEqual(1e-6);
    });

    it('handles n = 0, n = 1, k = 0 and k = n exactly', () =>
      withSeed(label('projection edges'), (rng) => {
        expect(project(binding, new Float32Array(0), [], []).x).toHaveLength(0);
        const empty = project(binding, new Float32Array(0), [0, 0], [0, 0]);
        expect(Array.from(empty.thresholds)).toEqual([0, 0]);
        for (const k of [0.3, 0.5, 0.99]) {
          const y = new Float32Array([rng.normal()]);
          const { x, thresholds } = checkProjection(y, [1], [k]);
          // n = 1: x = k (the per-element tolerance of testing/checks.ts)
          expect(Math.abs(x[0] - k)).toBeLessThanOrEqual(4 * U * Math.max(1, Math.abs(y[0]), Math.abs(thresholds[0])));
        }
        // k = 0 and k = n are exact: every x is 0 (lambda >= max y), resp. 1 (lambda <= min y - 1).
        // Values in (-1, 1): min y - 1 is then (mostly) not a float32, so a kernel that rounds
        // lambda to float32 before subtracting can miss 1 by an ulp (72 groups make that near certain to show).
        const sizes = Array.from({ length: 72 }, (_, g) => (g < 64 ? 1 : rng.int(2, 500)));
        const y = rng.float32(sum(sizes), (r) => r.uniform(-0.99, 0.99));
        const zeros = checkProjection(y, sizes, sizes.map(() => 0)).x;
        expect(Array.from(zeros).flatMap((v, i) => (v === 0 ? [] : [`x[${i}] = ${v}`]))).toEqual([]);
        const ones = checkProjection(y, sizes, sizes).x;
        expect(Array.from(ones).flatMap((v, i) => (v === 1 ? [] : [`x[${i}] = ${v} (y = ${y[i]})`]))).toEqual([]);
      }));

    it('matches the definition and the reference over many sizes, distributions and budgets', () =>
      withSeed(label('projection random'), (rng) => {
        const sizes = [1, 2, 3, 4, 5, 7, 8, 10, 16, 31, 64, 100, 257, 1000, 4099, 10007, 65536, 100003];
        const names = Object.keys(scoreDistributions);
        for (const n of sizes) {
          for (const name of [names[rng.int(0, names.length)], names[rng.int(0, names.length)]]) {
            const y = scoreDistributions[name](rng, n);
            const k = randomBudget(rng, n);
            try {
              checkProjection(y, [n], [k]);
            } catch (error) {
              (error as Error).message = `n = ${n}, ${name}, k = ${k}: ${(error as Error).message}`;
              throw error;
            }
          }
        }
      }));

    it('solves groups of very different sizes in one call', () =>
      withSeed(label('projection groups'), (rng) => {
        const sizes = [0, 1, 5, 100000, 3];
        const y = rng.normals(sum(sizes), 2);
        checkProjection(y, sizes, [0, 1, 2.5, rng.uniform(0, 100000), 3]);
        checkProjection(y, sizes, sizes.map((n) => randomBudget(rng, n)));
        for (let trial = 0; trial < 20; trial++) {
          const groups = randomGroups(rng, rng.pick([3, 50, 2000]), 12);
          const ys = scoreDistributions[rng.pick(Object.keys(scoreDistributions))](rng, sum(groups));
          checkProjection(ys, groups, groups.map((n) => randomBudget(rng, n)));
        }
      }));

    it('handles ties and duplicate values', () =>
      withSeed(label('projection ties'), (rng) => {
        const n = rng.int(2, 2000);
        const c = rng.normal();
        const k = rng.uniform(0, n);
        const { x } = checkProjection(new Float32Array(n).fill(c), [n], [k]);
        // all equal: x_i = k / n for every i (the per-element tolerance of testing/checks.ts)
        const tol = 4 * U * Math.max(1, Math.abs(c));
        expect(Array.from(x).filter((v) => !(Math.abs(v - k / n) <= tol))).toEqual([]);
        expect(new Set(Array.from(x)).size).toBe(1); // equal inputs, equal outputs
        for (const k2 of [0.5, 1, 1.5, n / 3, n - 1]) checkProjection(rng.choices(n, [0, 1, 2]), [n], [k2]);
      }));

    it('runs in place (out = scores) with the same result', () =>
      withSeed(label('projection in place'), (rng) => {
        const sizes = [rng.int(1, 5000), 0, rng.int(1, 5000)];
        const y = rng.normals(sum(sizes));
        const budgets = sizes.map((n) => rng.uniform(0, n));
        const separate = project(binding, y, sizes, budgets);
        const inPlace = y.slice();
        const thresholds = new Float64Array(3);
        expect(binding.projectCappedSimplex(inPlace, sizes, budgets, inPlace, thresholds, exec)).toBe(inPlace);
        expect(sameBits(inPlace, separate.x)).toBe(true);
        expect(sameBits(thresholds, separate.thresholds)).toBe(true);
      }));

    it('reads and writes typed-array views at a byte offset', () =>
      withSeed(label('projection views'), (rng) => {
        const n = rng.int(10, 3000);
        const yBig = rng.normals(n + 5);
        const y = yBig.subarray(3, 3 + n);
        const xBig = new Float32Array(n + 7).fill(-5);
        const x = xBig.subarray(4, 4 + n);
        const t = new Float64Array(3).subarray(1, 2);
        const k = rng.uniform(0, n);
        binding.projectCappedSimplex(y, [n], [k], x, t, exec);
        expect(projectionProblems(y, [n], [k], x, t)).toEqual([]);
        expect([...xBig.subarray(0, 4), ...xBig.subarray(4 + n)]).toEqual([-5, -5, -5, -5, -5, -5, -5]); // outside the view: untouched
      }));

    it('async form equals the sync form bitwise', () =>
      withSeed(label('projection async'), async (rng) => {
        const sizes = [rng.int(1, 20000), rng.int(0, 100), rng.int(1, 20000)];
        const y = rng.normals(sum(sizes));
        const budgets = sizes.map((n) => rng.uniform(0, n));
        const sync = project(binding, y, sizes, budgets);
        const runs = await Promise.all(
          [0, 1, 2].map(async () => {
            const x = new Float32Array(y.length);
            const t = new Float64Array(sizes.length);
            const result = await binding.projectCappedSimplexAsync(y, sizes, budgets, x, t, exec);
            expect(result).toBe(x);
            return { x, t };
          }),
        );
        for (const run of runs) {
          expect(sameBits(run.x, sync.x)).toBe(true);
          expect(sameBits(run.t, sync.thresholds)).toBe(true);
        }
      }));

    it('projects 10M elements: budget met, x in [0, 1], x = clip(y - lambda, 0, 1)', () =>
      withSeed(label('projection 10M'), (rng) => {
        const n = 10_000_000;
        const y = rng.normals(n, 2);
        checkProjection(y, [n], [rng.uniform(0.1 * n, 0.5 * n)]);
      }));
  });

  // ---- top-k masks --------------------------------------------------------------------------------

  describe('topk', () => {
    const mask = (scores: number[], k: number) =>
      Array.from(topk(binding, Float32Array.from(scores), [scores.length], [k], new Uint8Array(scores.length)));

    it('keeps the k largest, ties to the lower index, -0 == +0, +/-Inf as ordinary values', () => {
      expect(mask([0.5, 0.1, 0.9, 0.5, -1], 2)).toEqual([1, 0, 1, 0, 0]);
      expect(mask([0.5, 0.1, 0.9, 0.5, -1], 3)).toEqual([1, 0, 1, 1, 0]);
      expect(mask([2, 2, 2, 2], 2)).toEqual([1, 1, 0, 0]);
      expect(mask([1, 2, 1, 2, 1], 3)).toEqual([1, 1, 0, 1, 0]);
      expect(mask([-0, 0], 1)).toEqual([1, 0]);
      expect(mask([0, -0, 0, -0], 2)).toEqual([1, 1, 0, 0]);
      expect(mask([1, -0, 0, -1, 0], 2)).toEqual([1, 1, 0, 0, 0]);
      expect(mask([1, Infinity, -Infinity, 0, Infinity], 2)).toEqual([0, 1, 0, 0, 1]);
      expect(mask([1, Infinity, -Infinity, 0, Infinity], 4)).toEqual([1, 1, 0, 1, 1]);
      expect(mask([-Infinity, -Infinity, -Infinity], 2)).toEqual([1, 1, 0]);
      expect(mask([1e-45, -1e-45, 0, 3.4e38, -3.4e38], 3)).toEqual([1, 0, 1, 1, 0]);
    });

    it('handles n = 0, n = 1, k = 0 and k = n', () => {
      expect(topk(binding, new Float32Array(0), [], [], new Uint8Array(0))).toHaveLength(0);
      expect(topk(binding, new Float32Array(0), [0, 0], [0, 0], new Uint8Array(0))).toHaveLength(0);
      expect(mask([4], 0)).toEqual([0]);
      expect(mask([4], 1)).toEqual([1]);
      expect(mask([3, 1, 2], 0)).toEqual([0, 0, 0]);
      expect(mask([3, 1, 2], 3)).toEqual([1, 1, 1]);
    });

    it('matches the definition and the reference over many sizes and distributions, Uint8 and Float32 masks alike', () =>
      withSeed(label('topk random'), (rng) => {
        const sizes = [1, 2, 3, 5, 8, 17, 64, 100, 255, 256, 257, 1000, 4096, 10007, 65537, 300000];
        const draws: Record<string, Draw> = { ...scoreDistributions, awkward: awkwardScores };
        const names = Object.keys(draws);
        for (const n of sizes) {
          for (const name of [names[rng.int(0, names.length)], 'awkward']) {
            const scores = draws[name](rng, n);
            const k = randomK(rng, n);
            try {
              checkTopk(scores, [n], [k]);
            } catch (error) {
              (error as Error).message = `n = ${n}, ${name}, k = ${k}: ${(error as Error).message}`;
              throw error;
            }
          }
        }
      }));

    it('selects per group, for groups of very different sizes and for many small groups', () =>
      withSeed(label('topk groups'), (rng) => {
        const sizes = [0, 1, 5, 100000, 3];
        const scores = rng.choices(sum(sizes), [0, 1, 2, -0, 0.5]);
        checkTopk(scores, sizes, [0, 1, 2, rng.int(0, 100001), 3]);
        checkTopk(scores, sizes, sizes.map((n) => randomK(rng, n)));
        const many = Array.from({ length: 1000 }, () => rng.int(0, 50));
        checkTopk(awkwardScores(rng, sum(many)), many, many.map((n) => randomK(rng, n)));
      }));

    it('writes masks through typed-array views at a byte offset', () =>
      withSeed(label('topk views'), (rng) => {
        const n = rng.int(10, 3000);
        const scores = rng.normals(n + 8).subarray(5, 5 + n);
        const k = rng.int(0, n + 1);
        const u8 = new Uint8Array(n + 6).fill(9);
        const f32 = new Float32Array(n + 6).fill(9);
        binding.topkMask(scores, [n], [k], u8.subarray(3, 3 + n), exec);
        binding.topkMask(scores, [n], [k], f32.subarray(3, 3 + n), exec);
        expect(topkProblems(scores, [n], [k], u8.subarray(3, 3 + n))).toEqual([]);
        expect(differences(f32.subarray(3, 3 + n), u8.subarray(3, 3 + n))).toEqual([]);
        expect([...u8.subarray(0, 3), ...u8.subarray(3 + n)]).toEqual([9, 9, 9, 9, 9, 9]);
        expect([...f32.subarray(0, 3), ...f32.subarray(3 + n)]).toEqual([9, 9, 9, 9, 9, 9]);
      }));

    it('async form equals the sync form', () =>
      withSeed(label('topk async'), async (rng) => {
        const sizes = [rng.int(1, 50000), 0, rng.int(1, 50000)];
        const scores = awkwardScores(rng, sum(sizes));
        const ks = sizes.map((n) => randomK(rng, n));
        const sync = topk(binding, scores, sizes, ks, new Uint8Array(scores.length));
        const [a, b] = await Promise.all([
          binding.topkMaskAsync(scores, sizes, ks, new Uint8Array(scores.length), exec),
          binding.topkMaskAsync(scores, sizes, ks, new Float32Array(scores.length), exec),
        ]);
        expect(differences(a, sync)).toEqual([]);
        expect(differences(b, sync)).toEqual([]);
      }));

    it('selects exactly k of 10M elements with heavy ties, the same mask twice', () =>
      withSeed(label('topk 10M'), (rng) => {
        const n = 10_000_000;
        const values = Array.from({ length: 1000 }, () => rng.normal()); // ~10k copies of each value
        const scores = rng.choices(n, values);
        const k = rng.int(1, n);
        const first = checkTopk(scores, [n], [k]);
        const second = topk(binding, scores, [n], [k], new Uint8Array(n));
        expect(sameBits(first, second)).toBe(true);
      }));
  });

  // ---- building blocks ----------------------------------------------------------------------------

  describe('building blocks', () => {
    it('sgemm matches the reference over shapes, transposes, strides, alpha and beta', () =>
      withSeed(label('sgemm'), (rng) => {
        for (let trial = 0; trial < 30; trial++) {
          const m = rng.int(0, 70);
          const n = rng.int(0, 70);
          const k = rng.pick([0, 1, rng.int(1, 200)]);
          const transA = rng.bool();
          const transB = rng.bool();
          const lda = (transA ? m : k) + rng.pick([0, 0, 3]);
          const ldb = (transB ? k : n) + rng.pick([0, 0, 2]);
          const ldc = n + rng.pick([0, 0, 5]);
          const alpha = rng.pick([1, 0, -0.5, rng.normal()]);
          const beta = rng.pick([0, 1, rng.normal()]);
          const a = rng.normals(Math.max(0, (transA ? k : m) * lda));
          const b = rng.normals(Math.max(0, (transB ? n : k) * ldb));
          const c0 = rng.normals(m * ldc);
          const shape = { m, n, k, transA, transB, alpha, beta, lda, ldb, ldc };
          const got = binding.sgemm(a, b, c0.slice(), shape, exec);
          const want = ref.sgemm(a, b, c0.slice(), shape);
          const problems: string[] = [];
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < ldc; j++) {
              const e = i * ldc + j;
              if (j >= n) {
                if (got[e] !== c0[e]) problems.push(`padding C[${i}][${j}] changed`);
                continue;
              }
              let mag = Math.abs(beta * c0[e]);
              for (let p = 0; p < k; p++) mag += Math.abs(alpha * (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]));
              const tol = (2 * k + 8) * U * mag; // gamma_k with a 2x margin (see testing/checks.ts)
              if (!(Math.abs(got[e] - want[e]) <= tol)) problems.push(`C[${i}][${j}] = ${got[e]}, reference ${want[e]} (${JSON.stringify(shape)})`);
            }
          }
          expect(problems.slice(0, 5)).toEqual([]);
        }
      }));

    it('copyF32 copies exactly, views included, sync and async', () =>
      withSeed(label('copy'), async (rng) => {
        for (const n of [0, 1, 7, 1000, 1_000_003]) {
          const src = awkwardScores(rng, n + 2).subarray(1, 1 + n);
          const dst = binding.copyF32(src, new Float32Array(n).fill(NaN), exec);
          expect(sameBits(dst, src)).toBe(true);
          const dstAsync = await binding.copyF32Async(src, new Float32Array(n).fill(NaN), exec);
          expect(sameBits(dstAsync, src)).toBe(true);
        }
      }));
  });

  // ---- determinism --------------------------------------------------------------------------------

  // Bitwise identical results whatever the CPU thread count (the CPU backend's contract: fixed
  // chunking, partial results reduced in order). Not asked of CUDA.
  (isCuda ? describe.skip : describe)('determinism across numThreads', () => {
    const threadCounts = [1, 2, 3];
    const withThreads = (numThreads: number): ExecOptions => ({ ...exec, numThreads });

    it('gram forward and backward', () =>
      withSeed(label('determinism gram'), (rng) => {
        const batch = 64;
        const features = blocks(rng, batch, [1000, 3, 257], 0.05);
        const dgrams = rng.normals(3 * batch * batch);
        const params = { normalize: true, eps: 1e-12 };
        const runs = threadCounts.map((t) => ({
          g: binding.gramForward(features, batch, new Float32Array(3 * batch * batch), params, withThreads(t)),
          d: binding.gramBackward(features, dgrams, batch, features.map((f) => new Float32Array(f.length)), params, withThreads(t)),
        }));
        for (const run of runs.slice(1)) {
          expect(sameBits(run.g, runs[0].g)).toBe(true);
          run.d.forEach((d, l) => expect(sameBits(d, runs[0].d[l])).toBe(true));
        }
      }));

    const sizes = [1_500_001, 0, 2_000_000, 17];

    it('projection', () =>
      withSeed(label('determinism projection'), (rng) => {
        const y = rng.normals(sum(sizes), 2);
        const budgets = sizes.map((n) => rng.uniform(0, n));
        const runs = threadCounts.map((t) => {
          const x = new Float32Array(y.length);
          const thresholds = new Float64Array(sizes.length);
          binding.projectCappedSimplex(y, sizes, budgets, x, thresholds, withThreads(t));
          return { x, thresholds };
        });
        for (const run of runs.slice(1)) {
          expect(sameBits(run.x, runs[0].x)).toBe(true);
          expect(sameBits(run.thresholds, runs[0].thresholds)).toBe(true);
        }
      }));

    it('top-k', () =>
      withSeed(label('determinism topk'), (rng) => {
        const scores = rng.choices(sum(sizes), Array.from({ length: 100 }, () => rng.normal())); // many ties
        const ks = sizes.map((n) => rng.int(0, n + 1));
        const runs = threadCounts.map((t) => binding.topkMask(scores, sizes, ks, new Uint8Array(scores.length), withThreads(t)));
        for (const run of runs.slice(1)) expect(sameBits(run, runs[0])).toBe(true);
      }));

    it('sgemm', () =>
      withSeed(label('determinism sgemm'), (rng) => {
        const [m, n, k] = [130, 97, 301];
        const a = rng.normals(m * k);
        const b = rng.normals(k * n);
        const runs = threadCounts.map((t) => binding.sgemm(a, b, new Float32Array(m * n), { m, n, k }, withThreads(t)));
        for (const run of runs.slice(1)) expect(sameBits(run, runs[0])).toBe(true);
      }));
  });
});

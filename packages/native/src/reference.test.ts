// The TypeScript reference against hand-computed cases and independent methods (brute-force
// orderings, bisection, finite differences). The other suites trust it as their oracle.
import {
  cappedSimplexThreshold,
  cappedSum,
  formatCppDouble,
  gramBackward64,
  gramForward64,
  referenceBinding as ref,
  topkInto,
} from './reference';
import { projectionProblems, topkProblems } from './testing/checks';
import { withSeed, type Rng } from './testing/random';

const GRAM = { normalize: true, eps: 1e-12 };
const RAW = { normalize: false, eps: 1e-12 };

function project(y: number[] | Float32Array, k: number) {
  const ys = Float32Array.from(y);
  const x = new Float32Array(ys.length);
  const t = new Float64Array(1);
  ref.projectCappedSimplex(ys, [ys.length], [k], x, t);
  return { x: Array.from(x), lambda: t[0] };
}

function topk(scores: number[], k: number): number[] {
  return Array.from(ref.topkMask(Float32Array.from(scores), [scores.length], [k], new Uint8Array(scores.length)));
}

describe('reference: Gram forward', () => {
  it('computes a 2x2 Gram by hand, raw and normalised', () => {
    const f = new Float32Array([1, 2, 3, 4]); // rows (1,2) and (3,4)
    expect(Array.from(ref.gramForward([f], 2, new Float32Array(4), RAW))).toEqual([5, 11, 11, 25]);
    const g = ref.gramForward([f], 2, new Float32Array(4), GRAM);
    // 11 / (sqrt(5) * 5); float32 output: 1e-7 absolute is ~1 ulp at these magnitudes
    expect(g[0]).toBeCloseTo(1, 7);
    expect(g[3]).toBeCloseTo(1, 7);
    expect(Math.abs(g[1] - 11 / (Math.sqrt(5) * 5))).toBeLessThan(1e-7);
    expect(g[2]).toBe(g[1]);
  });

  it('handles several blocks (orthogonal and parallel rows) at their offsets', () => {
    const f0 = new Float32Array([3, 0, 4, 0, 2, 0]); // B = 2, D = 3: orthogonal rows
    const f1 = new Float32Array([1, 1, 2, 2]); // B = 2, D = 2: parallel rows
    const g = Array.from(ref.gramForward([f0, f1], 2, new Float32Array(8).fill(NaN), GRAM));
    expect(g.map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(ref.gramForward([f0, f1], 2, new Float32Array(8), RAW))).toEqual([25, 0, 0, 4, 2, 4, 4, 8]);
  });

  it('maps a zero row to a zero row and column when normalising (norm floor eps)', () => {
    const f = new Float32Array([0, 0, 3, 4]);
    expect(Array.from(ref.gramForward([f], 2, new Float32Array(4), GRAM))).toEqual([0, 0, 0, 1]);
  });

  it('writes nothing for B = 0 or L = 0 and gives zeros for D = 0', () => {
    expect(ref.gramForward([], 3, new Float32Array(0), GRAM)).toHaveLength(0);
    expect(ref.gramForward([new Float32Array(0)], 0, new Float32Array(0), GRAM)).toHaveLength(0);
    expect(Array.from(ref.gramForward([new Float32Array(0)], 2, new Float32Array(4).fill(7), RAW))).toEqual([0, 0, 0, 0]);
  });
});

describe('reference: Gram backward', () => {
  it('matches hand derivatives', () => {
    // raw, B = 1: G = |f|^2, dL/dG = w -> dF = 2 w f
    const f = new Float32Array([1, -2, 3]);
    const [df] = ref.gramBackward([f], new Float32Array([0.5]), 1, [new Float32Array(3)], RAW);
    expect(Array.from(df)).toEqual([1, -2, 3]);
    // raw, B = 2, dG = [[0, 1], [0, 0]]: L = f0 . f1 -> dF0 = f1, dF1 = f0 (dG need not be symmetric)
    const f2 = new Float32Array([1, 2, 3, 4]);
    const [d2] = ref.gramBackward([f2], new Float32Array([0, 1, 0, 0]), 2, [new Float32Array(4)], RAW);
    expect(Array.from(d2)).toEqual([3, 4, 1, 2]);
    // normalised, B = 1: G = 1 whatever f is -> dF = 0
    const [d3] = ref.gramBackward([f], new Float32Array([2]), 1, [new Float32Array(3).fill(9)], GRAM);
    d3.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-7)); // float32 cancellation of O(1) terms
    // a clamped row (|f0| = 0 <= eps = 0.5): G01 = f0 . f1 / (eps |f1|) -> dF0 = f1 / (5 eps), dF1 = 0
    const f4 = new Float32Array([0, 0, 3, 4]);
    const [d4] = ref.gramBackward([f4], new Float32Array([0, 1, 0, 0]), 2, [new Float32Array(4)], { normalize: true, eps: 0.5 });
    expect(Array.from(d4)).toEqual([1.2000000476837158, 1.600000023841858, 0, 0]);
  });

  it('returns the dfeatures array it was given', () => {
    const out = [new Float32Array(2)];
    expect(ref.gramBackward([new Float32Array([1, 2])], new Float32Array([1]), 1, out, RAW)).toBe(out);
  });

  // Central differences of L(F) = sum(W .* G(F)) in float64: h = 1e-5 gives a truncation error
  // ~h^2 |L'''| <= 1e-7 for rows of norm >= 0.1 (|L'''| ~ 1/r^3 <= 1e3) and a rounding error
  // ~eps53 |L| / h <= 1e-9; 1e-6 (1 + |g|) leaves a margin over both, while a wrong formula is
  // off by O(|g|).
  function finiteDifferenceCheck(rng: Rng, batch: number, dim: number, normalize: boolean, eps: number, rowNorms: number[]) {
    const f = new Float64Array(batch * dim);
    for (let i = 0; i < batch; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        f[i * dim + d] = rng.normal();
        s += f[i * dim + d] ** 2;
      }
      for (let d = 0; d < dim; d++) f[i * dim + d] *= rowNorms[i % rowNorms.length] / Math.sqrt(s);
    }
    const w = Float64Array.from({ length: batch * batch }, () => rng.normal()); // not symmetric
    const loss = (x: Float64Array) => gramForward64(x, batch, dim, normalize, eps).reduce((acc, g, e) => acc + g * w[e], 0);
    const grad = gramBackward64(f, w, batch, dim, normalize, eps);
    const h = 1e-5;
    const problems: string[] = [];
    for (let e = 0; e < f.length; e++) {
      const saved = f[e];
      f[e] = saved + h;
      const up = loss(f);
      f[e] = saved - h;
      const down = loss(f);
      f[e] = saved;
      const fd = (up - down) / (2 * h);
      if (!(Math.abs(fd - grad[e]) <= 1e-6 * (1 + Math.abs(grad[e])))) problems.push(`dF[${e}] = ${grad[e]}, finite difference ${fd}`);
    }
    expect(problems).toEqual([]);
  }

  it('matches central finite differences of sum(W .* G), normalised', () =>
    withSeed('reference fd normalised', (rng) => {
      finiteDifferenceCheck(rng, 4, 5, true, 1e-12, [1, 0.1, 3, 0.7]);
      finiteDifferenceCheck(rng, 1, 3, true, 1e-12, [2]);
      finiteDifferenceCheck(rng, 6, 2, true, 1e-12, [1.5]);
    }));

  it('matches central finite differences of sum(W .* G), raw', () =>
    withSeed('reference fd raw', (rng) => {
      finiteDifferenceCheck(rng, 4, 5, false, 1e-12, [1, 0.1, 3, 0.7]);
      finiteDifferenceCheck(rng, 3, 1, false, 1e-12, [1]);
    }));

  it('matches central finite differences with clamped rows (|f_i| < eps)', () =>
    withSeed('reference fd clamped', (rng) => {
      // eps = 0.5: rows of norm 0.1 are clamped (G uses f / eps there), rows of norm 2 are not;
      // both are >= 0.4 away from the kink at |f| = eps, far beyond h.
      finiteDifferenceCheck(rng, 4, 3, true, 0.5, [0.1, 2, 0.1, 2]);
    }));
});

describe('reference: capped-simplex projection', () => {
  it('projects the documented example: y = [0.9, 0.8, 0.1, 2.0], k = 2', () => {
    const { x, lambda } = project([0.9, 0.8, 0.1, 2.0], 2);
    // y is float32 (0.9f, 0.8f are within 3e-8 of the decimals): 1e-6 covers it
    [0.55, 0.45, 0, 1].forEach((want, i) => expect(Math.abs(x[i] - want)).toBeLessThan(1e-6));
    expect(x[2]).toBe(0);
    expect(x[3]).toBe(1);
    expect(Math.abs(lambda - 0.35)).toBeLessThan(1e-6);
  });

  it('solves more hand cases exactly', () => {
    expect(project([0.3, 0.3, 0.3, 0.3], 1).x).toEqual([0.25, 0.25, 0.25, 0.25].map(Math.fround)); // ties: k/n each
    expect(project([1, 1, 0], 1.5)).toEqual({ x: [0.75, 0.75, 0], lambda: 0.25 });
    expect(project([2, 0, 1], 3)).toEqual({ x: [1, 1, 1], lambda: -1 }); // k = n: ymin - 1
    expect(project([2, 0, 1], 0)).toEqual({ x: [0, 0, 0], lambda: 2 }); // k = 0: ymax
    // a flat stretch of phi: every lambda in [0, 4] is optimal; the sweep returns the first
    expect(project([0, 5], 1)).toEqual({ x: [0, 1], lambda: 0 });
    expect(project([7], 0.25)).toEqual({ x: [0.25], lambda: 6.75 });
  });

  it('solves groups independently, writes 0 as the threshold of an empty group, and may run in place', () => {
    const y = new Float32Array([1, 1, 0, 0.3, 0.3, 0.3, 0.3]);
    const t = new Float64Array(3).fill(NaN);
    const x = ref.projectCappedSimplex(y, [3, 0, 4], [1.5, 0, 1], y, t);
    expect(x).toBe(y);
    expect(Array.from(x)).toEqual([0.75, 0.75, 0, 0.25, 0.25, 0.25, 0.25].map(Math.fround));
    expect(t[0]).toBe(0.25);
    expect(t[1]).toBe(0);
    expect(Math.abs(t[2] - 0.05)).toBeLessThan(1e-7);
  });

  it('agrees with bisection on phi for random inputs', () =>
    withSeed('reference projection vs bisection', (rng) => {
      for (let trial = 0; trial < 40; trial++) {
        const n = rng.int(1, 300);
        const y = trial % 3 === 0 ? rng.choices(n, [0, 1, 2]) : rng.normals(n, rng.uniform(0.1, 5));
        const k = trial % 5 === 0 ? rng.int(0, n + 1) : rng.uniform(0, n);
        const lambda = cappedSimplexThreshold(y, k);
        // bisection: phi is non-increasing from n (at ymin - 1) to 0 (at ymax); 200 halvings
        // reach the double spacing, so the bracket's x differ by < 1e-12
        let lo = Math.min(...y) - 1;
        let hi = Math.max(...y);
        for (let it = 0; it < 200; it++) {
          const mid = (lo + hi) / 2;
          if (cappedSum(y, mid) > k) lo = mid;
          else hi = mid;
        }
        const problems: string[] = [];
        for (let i = 0; i < n; i++) {
          const a = Math.min(1, Math.max(0, y[i] - lambda));
          const b = Math.min(1, Math.max(0, y[i] - hi));
          // both are exact-arithmetic clip values in double: 1e-9 covers the sweep's rounding
          if (!(Math.abs(a - b) <= 1e-9)) problems.push(`n ${n} k ${k}: x[${i}] ${a} vs bisection ${b}`);
        }
        expect(problems).toEqual([]);
        const x = new Float32Array(n);
        const t = new Float64Array(1);
        ref.projectCappedSimplex(y, [n], [k], x, t);
        expect(projectionProblems(y, [n], [k], x, t)).toEqual([]);
      }
    }));
});

describe('reference: top-k mask', () => {
  it('keeps the k largest with ties going to the lower index', () => {
    expect(topk([0.5, 0.1, 0.9, 0.5, -1], 2)).toEqual([1, 0, 1, 0, 0]);
    expect(topk([0.5, 0.1, 0.9, 0.5, -1], 3)).toEqual([1, 0, 1, 1, 0]);
    expect(topk([2, 2, 2, 2], 2)).toEqual([1, 1, 0, 0]);
    expect(topk([1, 2, 1, 2, 1], 3)).toEqual([1, 1, 0, 1, 0]);
    expect(topk([3, 1, 2], 0)).toEqual([0, 0, 0]);
    expect(topk([3, 1, 2], 3)).toEqual([1, 1, 1]);
  });

  it('treats -0 and +0 as equal and +/-Inf as ordinary values', () => {
    expect(topk([-0, 0], 1)).toEqual([1, 0]);
    expect(topk([0, -0, 0, -0], 2)).toEqual([1, 1, 0, 0]);
    expect(topk([1, -0, 0, -1, 0], 2)).toEqual([1, 1, 0, 0, 0]);
    expect(topk([1, Infinity, -Infinity, 0, Infinity], 2)).toEqual([0, 1, 0, 0, 1]);
    expect(topk([1, Infinity, -Infinity, 0, Infinity], 4)).toEqual([1, 1, 0, 1, 1]);
    expect(topk([-Infinity, -Infinity, -Infinity], 2)).toEqual([1, 1, 0]);
  });

  it('fills a Float32Array mask with 1.0 / 0.0 and overwrites every element', () => {
    const mask = new Float32Array(5).fill(0.5);
    expect(Array.from(ref.topkMask(new Float32Array([0.5, 0.1, 0.9, 0.5, -1]), [5], [2], mask))).toEqual([1, 0, 1, 0, 0]);
  });

  it('agrees with a stable sort of indices for random inputs with many ties', () =>
    withSeed('reference topk vs sort', (rng) => {
      for (let trial = 0; trial < 60; trial++) {
        const n = rng.int(0, 500);
        const values = trial % 2 === 0 ? [0, 1, 2, -0, Infinity, -Infinity] : [rng.normal()];
        const scores = trial % 4 === 3 ? rng.normals(n) : rng.choices(n, [...values, ...Array.from({ length: 3 }, () => rng.normal())]);
        const k = rng.int(0, n + 1);
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] > scores[a] ? 1 : scores[b] < scores[a] ? -1 : a - b));
        const want = new Uint8Array(n);
        for (let i = 0; i < k; i++) want[order[i]] = 1;
        const got = new Uint8Array(n).fill(9);
        topkInto(scores, k, got);
        expect(Array.from(got)).toEqual(Array.from(want));
        expect(topkProblems(scores, [n], [k], got)).toEqual([]);
      }
    }));

  it('selects per group', () => {
    const scores = new Float32Array([5, 4, 1, 1, 1, 9]);
    expect(Array.from(ref.topkMask(scores, [2, 0, 3, 1], [1, 0, 2, 0], new Uint8Array(6)))).toEqual([1, 0, 1, 1, 0, 0]);
  });
});

describe('reference: building blocks and info', () => {
  it('multiplies with transposes, strides, alpha and beta', () => {
    // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]
    const a = new Float32Array([1, 2, 3, 4]);
    const b = new Float32Array([5, 6, 7, 8]);
    expect(Array.from(ref.sgemm(a, b, new Float32Array(4), { m: 2, n: 2, k: 2 }))).toEqual([19, 22, 43, 50]);
    expect(Array.from(ref.sgemm(a, b, new Float32Array(4), { m: 2, n: 2, k: 2, transA: true }))).toEqual([26, 30, 38, 44]);
    expect(Array.from(ref.sgemm(a, b, new Float32Array(4), { m: 2, n: 2, k: 2, transB: true }))).toEqual([17, 23, 39, 53]);
    const c = new Float32Array([1, 1, 1, 1]);
    expect(Array.from(ref.sgemm(a, b, c, { m: 2, n: 2, k: 2, alpha: 2, beta: -1 }))).toEqual([37, 43, 85, 99]);
    // strided views: op(A) = A's first column (lda = 2), B[0][0] (ldb = 2), C every other element (ldc = 2)
    const c2 = new Float32Array([0, 0, 0]);
    ref.sgemm(a, b, c2, { m: 2, n: 1, k: 1, lda: 2, ldb: 2, ldc: 2, transA: false });
    expect(Array.from(c2)).toEqual([5, 0, 15]);
    // beta = 0 overwrites C without reading it (NaN disappears), as BLAS does
    expect(Array.from(ref.sgemm(a, b, new Float32Array(4).fill(NaN), { m: 2, n: 2, k: 0 }))).toEqual([0, 0, 0, 0]);
  });

  it('copies', () => {
    const src = Float32Array.from([1, -0, Infinity, 3.5]);
    const dst = ref.copyF32(src, new Float32Array(4));
    expect(Array.from(dst)).toEqual([1, -0, Infinity, 3.5]);
  });

  it('describes itself as the reference', () => {
    expect(ref.info()).toEqual({ version: 'reference', gemmEngine: 'reference', cudaCompiled: false, cudaDevices: 0, hardwareThreads: 1 });
  });

  it('formats numbers as std::to_string does (printf %f, half to even)', () => {
    expect([1.5, -0.25, 0.0078125, 0.0234375, 4, -1e-7, 1e21, NaN, Infinity, -Infinity].map(formatCppDouble)).toEqual([
      '1.500000',
      '-0.250000',
      '0.007812',
      '0.023438',
      '4.000000',
      '-0.000000',
      '1000000000000000000000.000000',
      'nan',
      'inf',
      '-inf',
    ]);
  });

  it('async forms resolve later with the same buffer and reject (not throw) on op failures', async () => {
    const y = new Float32Array([0.9, 0.8, 0.1, 2.0]);
    const x = new Float32Array(4);
    const pending = ref.projectCappedSimplexAsync(y, [4], [2], x, null);
    expect(x[3]).toBe(0); // nothing written before the Promise settles
    await expect(pending).resolves.toBe(x);
    expect(x[3]).toBe(1);
    const failing = ref.projectCappedSimplexAsync(y, [4], [5], x, null);
    await expect(failing).rejects.toMatchObject({ code: 'KDLTS_ERR_INFEASIBLE' });
  });
});

// Property checks and tolerances shared by the suites. Each check returns a list of problems
// (empty when the result is right; at most `limit` entries) so that a test can
// `expect(problems).toEqual([])` over millions of elements without one expect per element.
//
// Tolerances, with their reasons (U = 2^-24, the float32 unit roundoff):
//  - projection, per element: |x_i - clip(y_i - lambda, 0, 1)| <= 4 U max(1, |y_i|, |lambda|).
//    x is float32 (rounding <= U), and a kernel may form y_i - lambda in float32 (rounding
//    lambda and the difference: <= 2 U max(|y_i|, |lambda|)); 4 U leaves a margin of ~1.3x.
//  - projection, threshold: |phi(lambda) - k| <= 16 eps53 n sqrt(2n) max(1, |y|max, |lambda|) + 1e-12,
//    phi evaluated here in double with compensated summation. A sweep over the 2n breakpoints
//    updates phi (<= n) 2n times, each rounding <= eps53 n max(1, |y|): a random walk of
//    sqrt(2n) steps, with a 16x margin. (At n = 1e7: ~8e-5; at n = 1e3: ~1e-10.)
//  - projection, sum: |sum x - k| <= the threshold tolerance + the per-element tolerances of
//    the elements that are not exactly 0 or 1 (what float rounding of x can add up to).
//  - top-k: exact (the selection is fully determined by the tie rule).
//  - Gram forward: |G_ij - ref_ij| <= (3 D + 16) U S_ij with S_ij = sum_d |f_id f_jd| s_i s_j
//    (s = the normalisation scales): the a-priori bound of a float32 dot product of length D
//    (gamma_D ~ D U, any summation order) plus the float32 norms (another ~D U), 16 U for the
//    scaling and the final rounding. A wrong formula is off by O(S_ij).
//  - Gram backward: |dF_id - ref_id| <= (3 B + 3 D + 32) U M_id with M_id the same formula
//    evaluated on absolute values: the products (dG + dG^T) F^ (length B), the projection
//    dot product (length D) and the row norms (length D), each gamma ~ length * U.
//  - sgemm: |C_ij - ref_ij| <= (2 k + 8) U (|alpha| sum_p |a_ip b_pj| + |beta c_ij|): gamma_k with a 2x margin.
import { gramBackward64, gramForward64 } from '../reference';
import type { MaskArray } from '../binding';

// Globals looked up once: inside jest's vm context every global lookup in a hot loop is ~50x slower.
const { abs, floor, fround, max, min, sqrt } = Math;
const { isFinite: isFiniteNumber, isNaN: isNaNNumber } = Number;
const INF = Number.POSITIVE_INFINITY;

export const U = 2 ** -24;
const EPS53 = 2 ** -53;

/** Neumaier's compensated sum: error <= 2 eps53 sum |terms| whatever n is. */
class CompensatedSum {
  private sum = 0;
  private c = 0;
  add(v: number): void {
    const t = this.sum + v;
    if (abs(this.sum) >= abs(v)) this.c += this.sum - t + v;
    else this.c += v - t + this.sum;
    this.sum = t;
  }
  value(): number {
    return this.sum + this.c;
  }
}

function fmt(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

export function projectionThresholdTolerance(n: number, maxAbsY: number, lambda: number): number {
  return 16 * EPS53 * n * sqrt(2 * n) * max(1, maxAbsY, abs(lambda)) + 1e-12;
}

export function projectionElementTolerance(y: number, lambda: number): number {
  return 4 * U * max(1, abs(y), abs(lambda));
}

/**
 * Checks a projection result against its definition, group by group: every x_i in [0,1],
 * x_i = clip(y_i - lambda_g, 0, 1) for the returned threshold, phi(lambda_g) = k_g, sum x = k_g,
 * and lambda_g = 0 for an empty group.
 */
export function projectionProblems(
  y: ArrayLike<number>,
  sizes: readonly number[],
  budgets: readonly number[],
  x: ArrayLike<number>,
  thresholds: ArrayLike<number>,
  limit = 8,
): string[] {
  const problems: string[] = [];
  const report = (p: string) => {
    if (problems.length < limit) problems.push(p);
  };
  let start = 0;
  sizes.forEach((n, g) => {
    const k = budgets[g];
    const lambda = thresholds[g];
    if (n === 0) {
      if (lambda !== 0) report(`group ${g} is empty but its threshold is ${fmt(lambda)}, expected 0`);
      return;
    }
    if (!isFiniteNumber(lambda)) {
      report(`group ${g}: threshold ${lambda} is not finite`);
      start += n;
      return;
    }
    let maxAbsY = 0;
    const phi = new CompensatedSum();
    const sum = new CompensatedSum();
    let roundingBudget = 0;
    for (let i = start; i < start + n; i++) {
      const yi = y[i];
      const xi = x[i];
      maxAbsY = max(maxAbsY, abs(yi));
      if (!(xi >= 0 && xi <= 1)) report(`x[${i}] = ${fmt(xi)} is outside [0, 1] (group ${g})`);
      const exact = min(1, max(0, yi - lambda));
      const tol = projectionElementTolerance(yi, lambda);
      if (!(abs(xi - exact) <= tol)) {
        report(`x[${i}] = ${fmt(xi)} but clip(y[${i}] - lambda, 0, 1) = ${exact} (y = ${yi}, lambda = ${lambda}, tol ${tol.toExponential(2)})`);
      }
      phi.add(exact);
      sum.add(xi);
      if ((xi > 0 && xi < 1) || (exact > 0 && exact < 1)) roundingBudget += tol;
    }
    const tolPhi = projectionThresholdTolerance(n, maxAbsY, lambda);
    const phiValue = phi.value();
    if (!(abs(phiValue - k) <= tolPhi)) {
      report(`group ${g}: sum clip(y - lambda, 0, 1) = ${phiValue} at lambda = ${lambda}, expected k = ${k} (|diff| ${abs(phiValue - k).toExponential(2)} > tol ${tolPhi.toExponential(2)})`);
    }
    const sumValue = sum.value();
    if (!(abs(sumValue - k) <= tolPhi + roundingBudget)) {
      report(`group ${g}: sum x = ${sumValue}, expected k = ${k} (tol ${(tolPhi + roundingBudget).toExponential(2)})`);
    }
    start += n;
  });
  return problems;
}

/** Elementwise |x - xRef| <= 4 U max(1, |y|, |lambda|) (both are clip(y - lambda) up to float rounding). */
export function projectionDiffProblems(
  y: ArrayLike<number>,
  sizes: readonly number[],
  x: ArrayLike<number>,
  xRef: ArrayLike<number>,
  thresholdsRef: ArrayLike<number>,
  limit = 8,
): string[] {
  const problems: string[] = [];
  let start = 0;
  sizes.forEach((n, g) => {
    for (let i = start; i < start + n && problems.length < limit; i++) {
      const tol = projectionElementTolerance(y[i], thresholdsRef[g]);
      if (!(abs(x[i] - xRef[i]) <= tol)) problems.push(`x[${i}] = ${x[i]}, reference ${xRef[i]} (y = ${y[i]}, group ${g}, tol ${tol.toExponential(2)})`);
    }
    start += n;
  });
  return problems;
}

/**
 * Checks a top-k mask against its definition, group by group: only 0/1 values, exactly k ones,
 * every kept score >= every dropped score (-0 == +0), and among scores equal to the boundary
 * value the kept ones all have lower indices than the dropped ones.
 */
export function topkProblems(
  scores: ArrayLike<number>,
  sizes: readonly number[],
  ks: readonly number[],
  mask: MaskArray,
  limit = 8,
): string[] {
  const problems: string[] = [];
  const report = (p: string) => {
    if (problems.length < limit) problems.push(p);
  };
  let start = 0;
  sizes.forEach((n, g) => {
    const k = ks[g];
    let ones = 0;
    let minKept = INF;
    let maxDropped = -INF;
    let anyKept = false;
    let anyDropped = false;
    for (let i = start; i < start + n; i++) {
      const m = mask[i];
      if (m === 1) {
        ones++;
        anyKept = true;
        minKept = min(minKept, scores[i]);
      } else if (m === 0) {
        anyDropped = true;
        maxDropped = max(maxDropped, scores[i]);
      } else {
        report(`mask[${i}] = ${m} is neither 0 nor 1`);
      }
    }
    if (ones !== k) report(`group ${g}: ${ones} ones, expected exactly k = ${k}`);
    if (anyKept && anyDropped) {
      if (!(minKept >= maxDropped)) report(`group ${g}: a kept score ${minKept} is smaller than a dropped score ${maxDropped}`);
      if (minKept === maxDropped) {
        // ties at the boundary: every kept one must precede every dropped one
        let lastKept = -1;
        let firstDropped = -1;
        for (let i = start; i < start + n; i++) {
          if (scores[i] !== minKept) continue;
          if (mask[i] === 1) lastKept = i;
          else if (firstDropped < 0) firstDropped = i;
        }
        if (firstDropped >= 0 && lastKept > firstDropped) {
          report(`group ${g}: tie at ${fmt(minKept)}: index ${lastKept} kept but lower index ${firstDropped} dropped`);
        }
      }
    }
    start += n;
  });
  return problems;
}

/** The first indices where two arrays differ (NaN == NaN, -0 == +0). */
export function differences(a: ArrayLike<number>, b: ArrayLike<number>, limit = 8): string[] {
  const out: string[] = [];
  if (a.length !== b.length) return [`lengths differ: ${a.length} vs ${b.length}`];
  for (let i = 0; i < a.length && out.length < limit; i++) {
    if (!(a[i] === b[i] || (isNaNNumber(a[i]) && isNaNNumber(b[i])))) out.push(`[${i}]: ${fmt(a[i])} vs ${fmt(b[i])}`);
  }
  return out;
}

/** True when the two typed arrays hold the same bytes (bitwise determinism). */
export function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.compare(x, y) === 0;
}

/** The row scales of gramForward64 (1 when !normalize). */
function rowScales(f: ArrayLike<number>, batch: number, dim: number, normalize: boolean, eps: number): Float64Array {
  const scale = new Float64Array(batch).fill(1);
  if (normalize) {
    for (let i = 0; i < batch; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += f[i * dim + d] * f[i * dim + d];
      const r = max(sqrt(s), eps);
      scale[i] = r > 0 ? 1 / r : 0; // eps = 0, zero row: zero (as gramForward64)
    }
  }
  return scale;
}

/** Compares L*B*B Gram values against gramForward64 block by block (tolerance: see the header). */
export function gramForwardProblems(
  features: Float32Array[],
  batch: number,
  normalize: boolean,
  eps: number,
  grams: ArrayLike<number>,
  limit = 8,
): string[] {
  const problems: string[] = [];
  const epsF = fround(eps);
  features.forEach((f, l) => {
    const dim = batch === 0 ? 0 : f.length / batch;
    const ref = gramForward64(f, batch, dim, normalize, epsF);
    const scale = rowScales(f, batch, dim, normalize, epsF);
    for (let i = 0; i < batch && problems.length < limit; i++) {
      for (let j = 0; j < batch && problems.length < limit; j++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += abs(f[i * dim + d] * f[j * dim + d]);
        const tol = (3 * dim + 16) * U * s * scale[i] * scale[j];
        const got = grams[l * batch * batch + i * batch + j];
        const want = ref[i * batch + j];
        if (!(abs(got - want) <= tol)) {
          problems.push(`block ${l} (D = ${dim}) G[${i}][${j}] = ${got}, reference ${want} (tol ${tol.toExponential(2)})`);
        }
      }
    }
  });
  return problems;
}

/** gramBackward64 evaluated on absolute values: the magnitude the rounding errors scale with. */
export function gramBackwardMagnitude(
  f: ArrayLike<number>,
  dg: ArrayLike<number>,
  batch: number,
  dim: number,
  normalize: boolean,
  eps: number,
): Float64Array {
  const fh = new Float64Array(batch * dim);
  const r = new Float64Array(batch).fill(1);
  for (let i = 0; i < batch; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += f[i * dim + d] * f[i * dim + d];
    if (normalize) r[i] = max(sqrt(s), eps);
    for (let d = 0; d < dim; d++) fh[i * dim + d] = r[i] > 0 ? abs(f[i * dim + d]) / r[i] : 0;
  }
  const a = new Float64Array(batch * dim);
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < batch; j++) {
      const s = abs(dg[i * batch + j]) + abs(dg[j * batch + i]);
      for (let d = 0; d < dim; d++) a[i * dim + d] += s * fh[j * dim + d];
    }
  }
  const out = new Float64Array(batch * dim);
  for (let i = 0; i < batch; i++) {
    let dot = 0;
    if (normalize) for (let d = 0; d < dim; d++) dot += a[i * dim + d] * fh[i * dim + d];
    for (let d = 0; d < dim; d++) out[i * dim + d] = r[i] > 0 ? (a[i * dim + d] + dot * fh[i * dim + d]) / r[i] : 0;
  }
  return out;
}

/** Compares dL/dF blocks against gramBackward64 (tolerance: see the header). */
export function gramBackwardProblems(
  features: Float32Array[],
  dgrams: Float32Array,
  batch: number,
  normalize: boolean,
  eps: number,
  dfeatures: Float32Array[],
  limit = 8,
): string[] {
  const problems: string[] = [];
  const epsF = fround(eps);
  const block = batch * batch;
  features.forEach((f, l) => {
    const dim = batch === 0 ? 0 : f.length / batch;
    const dg = dgrams.subarray(l * block, (l + 1) * block);
    const ref = gramBackward64(f, dg, batch, dim, normalize, epsF);
    const mag = gramBackwardMagnitude(f, dg, batch, dim, normalize, epsF);
    for (let e = 0; e < ref.length && problems.length < limit; e++) {
      const tol = (3 * batch + 3 * dim + 32) * U * mag[e];
      const got = dfeatures[l][e];
      if (!(abs(got - ref[e]) <= tol)) {
        problems.push(`block ${l} (B = ${batch}, D = ${dim}) dF[${floor(e / dim)}][${e % dim}] = ${got}, reference ${ref[e]} (tol ${tol.toExponential(2)})`);
      }
    }
  });
  return problems;
}

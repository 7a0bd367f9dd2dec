// How close a kdlts result must be to tfjs-backend-cpu's, per kernel family, with the reasons.
// All of them in this one place; the case lists only pick one and give its size parameter.
//
// U = 2^-24 is the float32 unit roundoff, EPS53 = 2^-53 the float64 one. `ref` is the cpu value,
// `mag` (where a family needs it) the same computation on |inputs| and |dy| on the cpu backend:
// for a multilinear kernel (GEMM, convolution, sums) that is exactly sum_i |term_i|, the scale
// every a-priori summation bound is stated in.
//
// In every family NaN positions must match exactly (both NaN or neither) and non-finite values
// must be equal (+Inf is not -Inf), whatever the tolerance: tfjs defines NaN propagation (Relu,
// Maximum, Max propagate it; MaxPool skips it) and the native kernels promise the same rules.
// +0 and -0 count as equal.

const { abs, max } = Math;

export const U = 2 ** -24;
export const EPS53 = 2 ** -53;

export type Tolerance =
  /** Bitwise equal values. */
  | { kind: 'exact' }
  /** At most `ulps` float32 steps apart. */
  | { kind: 'ulps'; ulps: number }
  /** |got - ref| <= rel |ref| + magRel * mag (mag: the |inputs| run; only read when magRel > 0). */
  | { kind: 'bound'; rel: number; magRel: number }
  /** |got - ref| <= rel |ref| + scale * max |ref| (composite chains of ops). */
  | { kind: 'scaled'; rel: number; scale: number };

export const TOLERANCES = {
  /**
   * Add, Sub, Multiply, RealDiv, Neg, Abs, Square, Reciprocal, Sqrt, ReLU, ReLU6, Step,
   * Maximum/Minimum, Tile, Transpose, MaxPool and its gradient (a routing of dy), Max/Min
   * reductions, and the gradients made only of those. tfjs evaluates a op b in float64 and rounds
   * once to float32; for + - * / and sqrt of float32 operands that double rounding is innocuous
   * (53 >= 2*24 + 2), so it equals the correctly rounded float32 result of the native float32
   * instruction. The others select or move values. Anything but the same bits is a bug.
   */
  exact: (): Tolerance => ({ kind: 'exact' }),
  /**
   * A GEMM or convolution on dyadic inputs (random.grid): every product and partial sum is a
   * float32 number, so any summation order gives the same bits.
   */
  exactOnGrid: (): Tolerance => ({ kind: 'exact' }),
  /**
   * exp, log, tanh, sigmoid: tfjs rounds Math.exp/... (float64, <= 1 ulp) to float32; a float32
   * libm or vectorised polynomial is within 1-3 ulps. rsqrt: 1/sqrt rounded twice in float32 vs
   * once. SquaredDifference: (a-b) then its square, two float32 roundings vs one of the exact
   * float64 value. 4 ulps.
   */
  transcendental: (): Tolerance => ({ kind: 'ulps', ulps: 4 }),
  /** The gradients of exp (dy * y): y within 4 ulps, one more rounding of the product. */
  transcendentalProduct: (): Tolerance => ({ kind: 'ulps', ulps: 6 }),
  /**
   * GEMM / convolution (forward and both gradients) with k-term dot products on real-valued
   * inputs: each implementation is within gamma_k ~ k U of the exact value relative to
   * sum |terms| in any summation order (fused multiply-adds included), so they differ by at most
   * 2 k U sum|terms|; +2 for the bias add and the output rounding. A wrong index or padding is
   * off by a whole term, ~sum|terms|/k, which this rejects while k < ~2000.
   */
  dot: (k: number): Tolerance => ({ kind: 'bound', rel: 0, magRel: 2 * (k + 2) * U }),
  /**
   * Sum over k terms: tfjs accumulates in float64 and rounds once; the native core too (in
   * another order): the float64 sums differ by <= 2 k EPS53 sum|x|, the roundings by one ulp
   * (<= 2 U |ref|).
   */
  sum: (k: number): Tolerance => ({ kind: 'bound', rel: 2 * U, magRel: 2 * k * EPS53 }),
  /**
   * Mean over k terms: tfjs divides each term by k in float32 (one rounding each, <= U sum|x|/k
   * in all) then sums as above; native sums and then divides.
   */
  mean: (k: number): Tolerance => ({ kind: 'bound', rel: 3 * U, magRel: U + 2 * k * EPS53 }),
  /**
   * FusedBatchNorm: tfjs evaluates offset + (x - mean) * scale / sqrt(var + eps) in float64 and
   * rounds once; float32 arithmetic rounds about 6 times (sub, mul, add eps, sqrt, div, add), each
   * <= U of a partial result bounded by |offset| + (|x| + |mean|) |scale| / sqrt(var + eps):
   * the |inputs| run with -|mean| gives exactly that. 8 U.
   */
  batchNorm: (): Tolerance => ({ kind: 'bound', rel: 0, magRel: 8 * U }),
  /**
   * Softmax over `cols`: x - max is the same float32 subtraction on both sides; exp within 4
   * ulps; the row sum (float64 in tfjs, any order in native, <= cols U relative) and the
   * division: (12 + cols) U relative to each output.
   */
  softmax: (cols: number): Tolerance => ({ kind: 'bound', rel: (12 + cols) * U, magRel: 0 }),
  /**
   * Gradients of composite chains (batch norm, softmax, sigmoid/tanh): a few-ulp difference in
   * an intermediate goes through cancellations such as 1 - y or dy - mean(dy), so it is bounded
   * relative to the gradient's scale rather than to each element: 32 U |ref| + 256 U max|ref|
   * (~1.9e-6, ~1.5e-5). A wrong formula or a dropped term is off by O(max|ref|).
   */
  composite: (): Tolerance => ({ kind: 'scaled', rel: 32 * U, scale: 256 * U }),
};

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The float32 bit pattern mapped onto a line: adjacent floats are adjacent integers, -0 = +0. */
function ordinal(x: number): number {
  f32[0] = x;
  const i = i32[0];
  return i < 0 ? -2147483648 - i : i;
}

/** How many float32 steps apart two finite values are. */
export function ulpDistance(a: number, b: number): number {
  return abs(ordinal(a) - ordinal(b));
}

export interface Comparison {
  /** Human-readable mismatches (at most `limit`), empty when the result is acceptable. */
  problems: string[];
  /** Number of offending elements. */
  bad: number;
  /** max over elements of |got - ref| / allowed (ulps / allowed ulps for 'ulps'); 0 when equal. */
  worst: number;
}

type Values = ArrayLike<number>;

function fmt(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Compares got against ref element by element under `tol`; `mag` for 'bound' with magRel > 0. */
export function compareValues(got: Values, ref: Values, tol: Tolerance, mag?: Values, label = 'values', limit = 4): Comparison {
  const problems: string[] = [];
  let bad = 0;
  let worst = 0;
  if (got.length !== ref.length) {
    return { problems: [`${label}: ${got.length} values, expected ${ref.length}`], bad: 1, worst: Infinity };
  }
  if (tol.kind === 'bound' && tol.magRel > 0 && (!mag || mag.length !== ref.length)) {
    throw new Error(`${label}: a 'bound' tolerance needs the |inputs| magnitudes`);
  }
  let refScale = 0;
  if (tol.kind === 'scaled') for (let i = 0; i < ref.length; i++) if (Number.isFinite(ref[i])) refScale = max(refScale, abs(ref[i]));

  const report = (i: number, why: string) => {
    bad++;
    if (problems.length < limit) problems.push(`${label}[${i}]: got ${fmt(got[i])}, expected ${fmt(ref[i])} (${why})`);
  };
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    const r = ref[i];
    if (g === r) continue; // exact (and +0 === -0)
    const gNaN = g !== g;
    const rNaN = r !== r;
    if (gNaN || rNaN) {
      if (gNaN && rNaN) continue;
      report(i, 'NaN mismatch');
      worst = Infinity;
      continue;
    }
    if (!Number.isFinite(g) || !Number.isFinite(r)) {
      report(i, 'non-finite mismatch');
      worst = Infinity;
      continue;
    }
    let ratio: number;
    let why: string;
    switch (tol.kind) {
      case 'exact':
        ratio = Infinity;
        why = `exact expected, ${ulpDistance(g, r)} ulps`;
        break;
      case 'ulps': {
        const d = ulpDistance(g, r);
        ratio = tol.ulps === 0 ? Infinity : d / tol.ulps;
        why = `${d} ulps > ${tol.ulps}`;
        break;
      }
      case 'bound': {
        const allowed = tol.rel * abs(r) + (tol.magRel > 0 ? tol.magRel * abs(mag![i]) : 0);
        ratio = allowed > 0 ? abs(g - r) / allowed : Infinity;
        why = `|diff| ${abs(g - r).toExponential(3)} > ${allowed.toExponential(3)}`;
        break;
      }
      case 'scaled': {
        const allowed = tol.rel * abs(r) + tol.scale * refScale;
        ratio = allowed > 0 ? abs(g - r) / allowed : Infinity;
        why = `|diff| ${abs(g - r).toExponential(3)} > ${allowed.toExponential(3)}`;
        break;
      }
    }
    if (ratio > worst) worst = ratio;
    if (ratio > 1) report(i, why);
  }
  if (bad > limit) problems.push(`${label}: ${bad} mismatching elements in all`);
  return { problems, bad, worst };
}

export function describeTolerance(tol: Tolerance): string {
  switch (tol.kind) {
    case 'exact':
      return 'exact';
    case 'ulps':
      return `<= ${tol.ulps} ulps`;
    case 'bound':
      return `|d| <= ${tol.rel.toExponential(2)}|ref| + ${tol.magRel.toExponential(2)} sum|terms|`;
    case 'scaled':
      return `|d| <= ${tol.rel.toExponential(2)}|ref| + ${tol.scale.toExponential(2)} max|ref|`;
  }
}

// Conformance cases: the broadcasting binary kernels (Add, Sub, Multiply, RealDiv,
// SquaredDifference, Maximum, Minimum) and the unary ones (Relu ... Reciprocal), forward and
// through their tfjs gradients (which reduce over broadcast axes with Sum).
import * as tf from '@tensorflow/tfjs-core';

import { TOLERANCES, type Tolerance } from './compare';
import type { Case } from './harness';
import {
  awayFromZero, choices, ints, normal, positive, SPECIALS, sprinkle, uniform, type Generator,
} from './random';

// ---- binary ----------------------------------------------------------------------------------

interface BinaryOp {
  kernel: string;
  fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  b?: Generator;
  tol: Tolerance;
  /**
   * How the inputs enter the |inputs| run that scales the gradients' summation bound: Maximum /
   * Minimum keep their mask; SquaredDifference's 2 (a - b) needs |a| + |b| (b as -|b|).
   */
  mag?: ['keep', 'keep'] | [undefined, 'negAbs'];
  int32?: boolean;
  /** false: tfjs has no gradient for it under broadcasting. */
  gradBroadcasts?: false;
}

const binaryOps: BinaryOp[] = [
  { kernel: 'Add', fn: tf.add, tol: TOLERANCES.exact(), int32: true },
  { kernel: 'Sub', fn: tf.sub, tol: TOLERANCES.exact(), int32: true },
  { kernel: 'Multiply', fn: tf.mul, tol: TOLERANCES.exact(), int32: true },
  { kernel: 'RealDiv', fn: tf.div, b: awayFromZero(), tol: TOLERANCES.exact() },
  { kernel: 'SquaredDifference', fn: tf.squaredDifference, tol: TOLERANCES.transcendental(), mag: [undefined, 'negAbs'], int32: true, gradBroadcasts: false },
  { kernel: 'Maximum', fn: tf.maximum, tol: TOLERANCES.exact(), mag: ['keep', 'keep'], int32: true, gradBroadcasts: false },
  { kernel: 'Minimum', fn: tf.minimum, tol: TOLERANCES.exact(), mag: ['keep', 'keep'], int32: true, gradBroadcasts: false },
];

/** Broadcast pairs: scalars, [C] against NHWC, [N,1,1,C], [3,1] x [1,4], rank 5, empty. */
const broadcastShapes: Array<[number[], number[]]> = [
  [[], []],
  [[], [2, 3]],
  [[5], [5]],
  [[2, 3, 4, 5], [5]],
  [[2, 3, 4, 5], [2, 1, 1, 5]],
  [[3, 1], [1, 4]],
  [[1], [3, 1, 2]],
  [[2, 1, 3, 1, 4], [1, 5, 1, 6, 1]],
  [[4, 1, 6], [4, 3, 6]],
  [[2, 3, 4, 5, 6], [2, 3, 4, 5, 6]],
  [[0, 3], [3]],
  [[2, 0], []],
];

function sizeOf(shape: number[]): number {
  return shape.reduce((p, q) => p * q, 1);
}

function binaryCase(op: BinaryOp, aShape: number[], bShape: number[], special = false): Case {
  const out = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
  // The gradient of an operand sums dy over its broadcast axes: out / operand terms (exact
  // when nothing is broadcast: the gradients are then elementwise + - * / themselves).
  const gradTol = (shape: number[]): Tolerance => {
    const terms = sizeOf(shape) === 0 ? 1 : sizeOf(out) / sizeOf(shape);
    return terms <= 1 && op.tol.kind === 'exact' ? TOLERANCES.exact() : terms <= 1 ? op.tol : TOLERANCES.sum(terms);
  };
  // The gradient sums dy over the broadcast axes; native Sum takes contiguous axes only.
  const scattered = [aShape, bShape].some((shape) => {
    const axes = tf.backend_util.getReductionAxes(shape, out);
    return axes.some((axis, i) => i > 0 && axis !== axes[i - 1] + 1);
  });
  const aGen = special ? sprinkle(normal(), SPECIALS, 0.2) : normal();
  const bGen = special ? sprinkle(op.b ?? normal(), SPECIALS, 0.2) : (op.b ?? normal());
  return {
    name: `${op.kernel} [${aShape}] x [${bShape}]${special ? ' (NaN, Inf, -0)' : ''}`,
    inputs: [
      { shape: aShape, gen: aGen, mag: op.mag?.[0] },
      { shape: bShape, gen: bGen, mag: op.mag?.[1] },
    ],
    op: (a, b) => op.fn(a, b),
    // tfjs's SquaredDifference / Maximum / Minimum gradients do not reduce over broadcast axes
    // (they throw on a shape mismatch): differentiated only without broadcasting.
    grad: op.gradBroadcasts === false && aShape.join() !== bShape.join() ? undefined : [0, 1],
    native: [op.kernel],
    mayFallback: scattered ? ['Sum'] : undefined,
    tol: op.tol,
    gradTol: [gradTol(aShape), gradTol(bShape)],
  };
}

function int32BinaryCase(op: BinaryOp): Case {
  return {
    name: `${op.kernel} int32 [3,4] x [4]`,
    inputs: [
      { shape: [3, 4], gen: ints(-20, 20) },
      { shape: [4], gen: ints(-20, 20) },
    ],
    op: (a, b) => op.fn(a, b),
    native: [],
    fallback: [op.kernel],
    tol: TOLERANCES.exact(),
  };
}

export const binaryCases: Case[] = [
  ...binaryOps.flatMap((op) => broadcastShapes.map(([a, b]) => binaryCase(op, a, b))),
  ...binaryOps.flatMap((op) => [binaryCase(op, [4, 6], [4, 6], true), binaryCase(op, [4, 6], [6], true)]),
  ...binaryOps.filter((op) => op.int32).map(int32BinaryCase),
];

// ---- unary -----------------------------------------------------------------------------------

interface UnaryOp {
  name: string;
  kernel: string;
  fn: (x: tf.Tensor) => tf.Tensor;
  gen: Generator;
  tol: Tolerance;
  gradTol: Tolerance;
  /** Extra ranges worth a case of their own (overflow, saturation, denormals). */
  extremes?: Array<[string, Generator]>;
}

const E = TOLERANCES.exact();
const T = TOLERANCES.transcendental();
const C = TOLERANCES.composite();

const unaryOps: UnaryOp[] = [
  { name: 'relu', kernel: 'Relu', fn: tf.relu, gen: normal(), tol: E, gradTol: E },
  { name: 'relu6', kernel: 'Relu6', fn: tf.relu6, gen: uniform(-3, 9), tol: E, gradTol: E, extremes: [['at 0 and 6', choices([0, 6, -0, 5.999999, 6.000001])]] },
  { name: 'step', kernel: 'Step', fn: (x) => tf.step(x), gen: normal(), tol: E, gradTol: E, extremes: [['zeros', choices([0, -0, 1e-30, -1e-30])]] },
  { name: 'step(alpha 0.3)', kernel: 'Step', fn: (x) => tf.step(x, 0.3), gen: normal(), tol: E, gradTol: E },
  { name: 'neg', kernel: 'Neg', fn: tf.neg, gen: normal(), tol: E, gradTol: E },
  { name: 'abs', kernel: 'Abs', fn: tf.abs, gen: normal(), tol: E, gradTol: E },
  { name: 'square', kernel: 'Square', fn: tf.square, gen: normal(3), tol: E, gradTol: E, extremes: [['overflow', normal(1e20)]] },
  { name: 'sqrt', kernel: 'Sqrt', fn: tf.sqrt, gen: positive(0.01, 5), tol: E, gradTol: E, extremes: [['negative', normal(3)]] },
  { name: 'rsqrt', kernel: 'Rsqrt', fn: tf.rsqrt, gen: positive(0.01, 5), tol: T, gradTol: E, extremes: [['negative', normal(3)]] },
  { name: 'exp', kernel: 'Exp', fn: tf.exp, gen: normal(3), tol: T, gradTol: TOLERANCES.transcendentalProduct(), extremes: [['overflow/denormal range', uniform(-104, 90)]] },
  {
    name: 'log', kernel: 'Log', fn: tf.log, gen: positive(0.01, 5), tol: T, gradTol: E,
    extremes: [['wide range', (rng, n) => Float32Array.from({ length: n }, () => Math.exp(rng.uniform(-80, 80)))], ['negative', normal(3)]],
  },
  { name: 'sigmoid', kernel: 'Sigmoid', fn: tf.sigmoid, gen: normal(4), tol: T, gradTol: C, extremes: [['saturation', normal(40)]] },
  { name: 'tanh', kernel: 'Tanh', fn: tf.tanh, gen: normal(2), tol: T, gradTol: C, extremes: [['saturation and tiny', choices([-20, -9, 9, 20, 1e-5, -3e-8, 1e-30])]] },
  { name: 'reciprocal', kernel: 'Reciprocal', fn: tf.reciprocal, gen: awayFromZero(0.05), tol: E, gradTol: E, extremes: [['tiny and huge', choices([1e-39, -3e-38, 1e38, -2e37])]] },
];

const unaryShapes: number[][] = [[], [1], [7], [3, 5], [2, 3, 4, 5], [2, 1, 3, 1, 4], [0, 4]];

function unaryCase(op: UnaryOp, shape: number[], gen: Generator, label = ''): Case {
  return {
    name: `${op.name} [${shape}]${label ? ` (${label})` : ''}`,
    inputs: [{ shape, gen }],
    op: (x) => op.fn(x),
    grad: [0],
    native: [op.kernel],
    tol: op.tol,
    gradTol: op.gradTol,
  };
}

export const unaryCases: Case[] = [
  ...unaryOps.flatMap((op) => unaryShapes.map((shape) => unaryCase(op, shape, op.gen))),
  ...unaryOps.map((op) => unaryCase(op, [64], sprinkle(op.gen, SPECIALS, 0.25), 'NaN, Inf, -0')),
  ...unaryOps.flatMap((op) => (op.extremes ?? []).map(([label, gen]) => unaryCase(op, [256], gen, label))),
  {
    name: 'relu int32 [3,4]',
    inputs: [{ shape: [3, 4], gen: ints(-5, 5) }],
    op: (x) => tf.relu(x),
    native: [],
    fallback: ['Relu'],
    tol: E,
  },
  {
    name: 'abs int32 [6]',
    inputs: [{ shape: [6], gen: ints(-5, 5) }],
    op: (x) => tf.abs(x),
    native: [],
    fallback: ['Abs'],
    tol: E,
  },
];

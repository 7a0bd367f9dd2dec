// Conformance cases: reductions (Sum, Mean, Max, Min) over every axis subset of ranks 0..5,
// Softmax, Tile and Transpose.
import * as tf from '@tensorflow/tfjs-core';

import { TOLERANCES, type Tolerance } from './compare';
import type { Case } from './harness';
import { choices, ints, normal, SPECIALS, sprinkle, type Generator } from './random';

// ---- reductions ------------------------------------------------------------------------------

type ReduceKind = 'sum' | 'mean' | 'max' | 'min';

const reduceKernels: Record<ReduceKind, { kernel: string; fn: (x: tf.Tensor, axis?: number | number[], keepDims?: boolean) => tf.Tensor }> = {
  sum: { kernel: 'Sum', fn: tf.sum },
  mean: { kernel: 'Mean', fn: tf.mean },
  max: { kernel: 'Max', fn: tf.max },
  min: { kernel: 'Min', fn: tf.min },
};

function sizeOf(shape: number[]): number {
  return shape.reduce((p, q) => p * q, 1);
}

function reduceTolerance(kind: ReduceKind, terms: number): Tolerance {
  if (kind === 'sum') return TOLERANCES.sum(terms);
  if (kind === 'mean') return TOLERANCES.mean(terms);
  return TOLERANCES.exact();
}

interface ReduceSpec {
  shape: number[];
  /** undefined: tfjs's default (every axis). */
  axis?: number[] | number;
  keepDims?: boolean;
  gen?: Generator;
  grad?: boolean;
  int32?: boolean;
  note?: string;
}

function reduceCase(kind: ReduceKind, s: ReduceSpec): Case {
  const { kernel, fn } = reduceKernels[kind];
  const rank = s.shape.length;
  const axes = s.axis === undefined ? s.shape.map((_, i) => i) : [s.axis].flat().map((a) => (a < 0 ? a + rank : a));
  const sorted = [...axes].sort((p, q) => p - q);
  const contiguous = sorted.every((a, i) => i === 0 || a === sorted[i - 1] + 1);
  const terms = Math.max(1, sizeOf(axes.map((a) => s.shape[a])));
  const fallback = s.int32 || !contiguous ? [kernel] : undefined;
  // An empty reduced axis: natively or on cpu, as long as the values are tfjs's.
  const empty = sizeOf(s.shape) === 0 && !fallback;
  const axisText = s.axis === undefined ? 'default axes' : `axis ${JSON.stringify(s.axis)}`;
  return {
    name: `${kind} [${s.shape}] ${axisText}${s.keepDims ? ' keepDims' : ''}${s.int32 ? ' int32' : ''}${s.note ? ` (${s.note})` : ''}`,
    inputs: [{ shape: s.shape, gen: s.int32 ? ints(-50, 50) : (s.gen ?? normal()) }],
    op: (x) => fn(x, s.axis, s.keepDims),
    grad: s.grad === false || s.int32 ? undefined : [0],
    native: fallback || empty ? [] : [kernel],
    fallback,
    mayFallback: empty ? [kernel] : undefined,
    tol: reduceTolerance(kind, terms),
    // sum / mean gradients broadcast dy (times ones, divided by the count); max / min route dy
    // to every position equal to the maximum: all exact.
    gradTol: TOLERANCES.exact(),
  };
}

function subsets(rank: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << rank; mask++) out.push([...Array(rank).keys()].filter((i) => mask & (1 << i)));
  return out;
}

const reduceShapes: number[][] = [[], [7], [3, 5], [2, 3, 4], [2, 3, 4, 5], [2, 1, 3, 2, 4]];

const reduceSpecs: ReduceSpec[] = [
  ...reduceShapes.flatMap((shape) =>
    [false, true].flatMap((keepDims) => [
      ...subsets(shape.length).map((axis) => ({ shape, axis, keepDims })),
      { shape, keepDims },
    ]),
  ),
  { shape: [2, 3, 4], axis: -1 },
  { shape: [2, 3, 4, 5], axis: [-1, -2], keepDims: true },
  { shape: [3, 5], axis: 1, keepDims: true },
  { shape: [4, 6], axis: [1], gen: choices([0, 1]), note: 'ties' },
  { shape: [4, 6], axis: [0], gen: choices([0, 1]), note: 'ties' },
  { shape: [4, 6], axis: [1], gen: sprinkle(normal(), SPECIALS, 0.2), note: 'NaN, Inf' },
  { shape: [4, 6], axis: [0], gen: sprinkle(normal(), SPECIALS, 0.2), note: 'NaN, Inf' },
  { shape: [4, 6], gen: sprinkle(normal(), [Number.NEGATIVE_INFINITY], 0.5), note: '-Inf' },
  { shape: [4, 50000], axis: 1, grad: false, note: 'long rows' },
  { shape: [50000, 3], axis: 0, grad: false, note: 'long columns' },
  { shape: [300, 300], grad: false, note: 'all of 90000' },
  { shape: [0, 3], axis: 0, note: 'empty reduced axis' },
  { shape: [3, 0], axis: 1, note: 'empty reduced axis' },
  { shape: [0, 3], axis: 1, note: 'empty result' },
  { shape: [3, 4], axis: 1, int32: true },
];

export const reduceCases: Case[] = (['sum', 'mean', 'max', 'min'] as const).flatMap((kind) => reduceSpecs.map((s) => reduceCase(kind, s)));

// ---- softmax ---------------------------------------------------------------------------------

function softmaxCase(shape: number[], gen: Generator = normal(3), note?: string): Case {
  const cols = shape.length ? shape[shape.length - 1] : 1;
  return {
    name: `softmax [${shape}]${note ? ` (${note})` : ''}`,
    inputs: [{ shape, gen }],
    op: (x) => tf.softmax(x),
    grad: [0],
    native: ['Softmax'],
    tol: TOLERANCES.softmax(cols),
    gradTol: TOLERANCES.composite(),
  };
}

export const softmaxCases: Case[] = [
  softmaxCase([5]),
  softmaxCase([3, 7]),
  softmaxCase([2, 3, 10]),
  softmaxCase([4, 1000]),
  softmaxCase([2, 2, 2, 3]),
  softmaxCase([1, 1]),
  softmaxCase([6, 1]),
  softmaxCase([8, 16], normal(30), 'large logits'),
  softmaxCase([6, 4], choices([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1]), '-Inf, whole rows of it'),
  softmaxCase([8, 16], sprinkle(normal(3), [Number.NaN], 0.05), 'NaN'),
  softmaxCase([0, 5], normal(), 'empty'),
];

// ---- tile, transpose -------------------------------------------------------------------------

function tileCase(shape: number[], reps: number[], opts: { grad?: boolean; int32?: boolean } = {}): Case {
  return {
    name: `tile [${shape}] reps [${reps}]${opts.int32 ? ' int32' : ''}`,
    inputs: [{ shape, gen: opts.int32 ? ints(-9, 9) : normal() }],
    op: (x) => tf.tile(x, reps),
    // tfjs's Tile gradient adds slices of dy in a fixed order (ranks <= 4): exact.
    grad: opts.grad === false || opts.int32 ? undefined : [0],
    native: opts.int32 ? [] : ['Tile'],
    fallback: opts.int32 ? ['Tile'] : undefined,
    tol: TOLERANCES.exact(),
  };
}

export const tileCases: Case[] = [
  tileCase([3], [4]),
  tileCase([2, 3], [2, 1]),
  tileCase([2, 3], [1, 3]),
  tileCase([1, 2, 3], [3, 1, 2]),
  tileCase([2, 1, 3, 1], [1, 4, 1, 2]),
  tileCase([1, 2, 1, 2, 1], [2, 1, 3, 1, 2], { grad: false }),
  tileCase([2, 3], [0, 2]),
  tileCase([2, 3], [2, 2], { int32: true }),
];

function transposeCase(shape: number[], perm: number[], int32 = false): Case {
  return {
    name: `transpose [${shape}] perm [${perm}]${int32 ? ' int32' : ''}`,
    inputs: [{ shape, gen: int32 ? ints(-9, 9) : normal() }],
    op: (x) => tf.transpose(x, perm),
    grad: int32 ? undefined : [0],
    native: int32 ? [] : ['Transpose'],
    fallback: int32 ? ['Transpose'] : undefined,
    tol: TOLERANCES.exact(),
  };
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => [...Array(n).keys()].map((i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

export const transposeCases: Case[] = [
  transposeCase([3, 5], [1, 0]),
  transposeCase([1, 1], [1, 0]),
  ...permutations(3).map((perm) => transposeCase([2, 3, 4], perm)),
  transposeCase([2, 3, 4, 5], [0, 3, 1, 2]),
  transposeCase([2, 3, 4, 5], [0, 2, 3, 1]),
  transposeCase([2, 3, 4, 5], [3, 2, 1, 0]),
  transposeCase([2, 3, 4, 5], [1, 0, 2, 3]),
  transposeCase([2, 1, 3, 1, 4], [4, 2, 0, 3, 1]),
  transposeCase([2, 1, 2, 3, 1, 2], [5, 4, 3, 2, 1, 0]),
  transposeCase([0, 3, 2], [2, 0, 1]),
  transposeCase([3, 4], [1, 0], true),
];

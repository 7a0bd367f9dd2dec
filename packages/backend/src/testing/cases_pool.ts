// Conformance cases: MaxPool / MaxPoolGrad, AvgPool / AvgPoolGrad, FusedBatchNorm (inference
// statistics, and the training-mode chain moments -> batchNorm whose gradient runs Tile, Sum,
// Multiply, Rsqrt...).
import * as tf from '@tensorflow/tfjs-core';

import { TOLERANCES } from './compare';
import type { Case, InputSpec } from './harness';
import { choices, constant, normal, positive, reluNormal, sprinkle, type Generator } from './random';

interface PoolSpec {
  x: [number, number, number, number];
  filter: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  gen?: Generator;
  note?: string;
}

const INF = Number.POSITIVE_INFINITY;

const poolSpecs: PoolSpec[] = [
  { x: [1, 4, 4, 1], filter: 2, strides: 2, pad: 'valid' },
  { x: [2, 7, 9, 3], filter: 3, strides: 2, pad: 'same' },
  { x: [3, 8, 8, 16], filter: 2, strides: 2, pad: 'valid' },
  { x: [1, 5, 6, 17], filter: 3, strides: 1, pad: 'same' },
  { x: [2, 6, 6, 4], filter: 1, strides: 1, pad: 'valid' },
  { x: [2, 6, 6, 4], filter: 1, strides: 2, pad: 'valid' },
  { x: [2, 9, 9, 3], filter: [3, 2], strides: [2, 1], pad: 'valid' },
  { x: [2, 7, 7, 3], filter: 3, strides: 2, pad: 1 },
  { x: [1, 3, 3, 2], filter: 5, strides: 1, pad: 'same', note: 'window larger than input' },
  { x: [2, 8, 8, 4], filter: 2, strides: 2, pad: 'valid', gen: reluNormal(), note: 'ties: zeros after relu' },
  { x: [2, 7, 9, 3], filter: 3, strides: 2, pad: 'same', gen: choices([0, 1, 2]), note: 'ties: values in {0, 1, 2}' },
  { x: [1, 5, 5, 2], filter: 3, strides: 1, pad: 'valid', gen: constant(0), note: 'ties: overlapping all-zero windows' },
  { x: [2, 6, 6, 3], filter: 3, strides: 1, pad: 'same', gen: sprinkle(normal(), [Number.NaN], 0.1), note: 'NaN' },
  { x: [2, 4, 4, 3], filter: 1, strides: 1, pad: 'valid', gen: sprinkle(normal(), [Number.NaN], 0.2), note: 'NaN, 1x1 identity' },
  { x: [2, 6, 6, 3], filter: 2, strides: 2, pad: 'valid', gen: sprinkle(normal(), [Number.NaN, INF, -INF], 0.1), note: 'NaN and infinities' },
  { x: [1, 4, 4, 2], filter: 2, strides: 2, pad: 'valid', gen: choices([-INF, -INF, -INF, 1]), note: 'windows of -Infinity' },
  { x: [0, 4, 4, 3], filter: 2, strides: 2, pad: 'valid', note: 'empty batch' },
];

function poolCase(kind: 'max' | 'avg', s: PoolSpec): Case {
  const info = tf.backend_util.computePool2DInfo(s.x, s.filter, s.strides, 1, s.pad);
  const window = info.filterHeight * info.filterWidth;
  const op = (x: tf.Tensor) =>
    kind === 'max'
      ? tf.maxPool(x as tf.Tensor4D, s.filter, s.strides, s.pad)
      : tf.avgPool(x as tf.Tensor4D, s.filter, s.strides, s.pad);
  // tfjs's avgPool gradient is defined through tf.avgPool's custom gradient (AvgPoolGrad).
  return {
    name: `${kind}Pool x[${s.x}] f${s.filter} s${s.strides} ${s.pad}${s.note ? ` (${s.note})` : ''}`,
    inputs: [{ shape: s.x, gen: s.gen ?? normal() }],
    op,
    grad: [0],
    native: kind === 'max' ? ['MaxPool', 'MaxPoolGrad'] : ['AvgPool', 'AvgPoolGrad'],
    // Max: exact values, and each dy lands on the very position tfjs picks (first maximum,
    // NaN skipped). Avg: a mean of <= window terms each way (the gradient spreads dy / window).
    tol: kind === 'max' ? TOLERANCES.exact() : TOLERANCES.dot(window),
  };
}

export const poolCases: Case[] = [
  ...poolSpecs.map((s) => poolCase('max', s)),
  ...poolSpecs.map((s) => poolCase('avg', s)),
];

// ---- batch norm ------------------------------------------------------------------------------

interface BatchNormSpec {
  x: number[];
  /** Shape of mean / variance (default [channels]). */
  stats?: number[];
  offset?: boolean;
  scale?: boolean;
  eps?: number;
  grad?: boolean;
  xGen?: Generator;
  fallback?: string[];
  note?: string;
}

function batchNormCase(s: BatchNormSpec): Case {
  const channels = s.x[s.x.length - 1];
  const stats = s.stats ?? [channels];
  const eps = s.eps ?? 1e-3;
  const hasOffset = s.offset ?? true;
  const hasScale = s.scale ?? true;
  // The |inputs| run with -|mean| bounds every partial result (see TOLERANCES.batchNorm).
  const inputs: InputSpec[] = [
    { shape: s.x, gen: s.xGen ?? normal(2, 0.5) },
    { shape: stats, gen: normal(0.5), mag: 'negAbs' },
    { shape: stats, gen: positive(0.05, 2), mag: 'keep' },
  ];
  if (hasOffset) inputs.push({ shape: stats, gen: normal() });
  if (hasScale) inputs.push({ shape: stats, gen: normal(1, 1) });
  return {
    name: `batchNorm x[${s.x}] stats[${stats}]${hasOffset ? '' : ' no offset'}${hasScale ? '' : ' no scale'} eps ${eps}${s.note ? ` (${s.note})` : ''}`,
    inputs,
    op: (...xs: tf.Tensor[]) => {
      const [x, mean, variance] = xs;
      let i = 3;
      const offset = hasOffset ? xs[i++] : undefined;
      const scale = hasScale ? xs[i++] : undefined;
      return tf.batchNorm(x, mean, variance, offset, scale, eps);
    },
    grad: s.grad ? inputs.map((_, i) => i) : undefined,
    native: s.fallback ? [] : ['FusedBatchNorm'],
    fallback: s.fallback,
    tol: TOLERANCES.batchNorm(),
    gradTol: TOLERANCES.composite(),
  };
}

/** Training-mode batch norm as tfjs-layers runs it: batch moments, then the normalisation. */
function trainingBatchNormCase(x: number[], note?: string): Case {
  const c = x[x.length - 1];
  const axes = x.slice(0, -1).map((_, i) => i);
  return {
    name: `batchNorm training (moments) x[${x}]${note ? ` (${note})` : ''}`,
    inputs: [
      { shape: x, gen: normal(1.5, 0.3) },
      { shape: [c], gen: normal() },
      { shape: [c], gen: normal(1, 1) },
    ],
    op: (x4, offset, scale) => {
      const { mean, variance } = tf.moments(x4, axes);
      return tf.batchNorm(x4, mean, variance, offset, scale, 1e-3);
    },
    grad: [0, 1, 2],
    native: ['FusedBatchNorm', 'Mean', 'Sub', 'Square', 'Tile', 'Sum', 'Multiply', 'Rsqrt'],
    // Forward: the batch statistics are themselves within a few ulps, then normalised.
    tol: TOLERANCES.composite(),
  };
}

export const batchNormCases: Case[] = [
  { x: [2, 4, 4, 3], grad: true },
  { x: [3, 5, 5, 16], grad: true },
  { x: [1, 1, 1, 17], grad: true },
  // (tfjs's batchNorm gradient needs both offset and scale: forward only without them)
  { x: [2, 3, 3, 16], offset: false, scale: false },
  { x: [2, 3, 3, 4], offset: false },
  { x: [2, 3, 3, 4], scale: false },
  { x: [5, 17], grad: true, note: 'rank 2' },
  { x: [3, 5, 4], note: 'rank 3' },
  { x: [7], note: 'rank 1' },
  { x: [2, 4, 4, 3], eps: 1e-5, note: 'small eps' },
  { x: [2, 4, 4, 3], xGen: sprinkle(normal(), [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], 0.1), note: 'NaN/Inf in x' },
  { x: [0, 4, 4, 3], note: 'empty batch' },
  { x: [2, 4, 4, 3], stats: [2, 4, 4, 3], fallback: ['FusedBatchNorm'], note: 'per-element statistics' },
  { x: [2, 4, 4, 3], stats: [1], fallback: ['FusedBatchNorm'], note: 'one statistic for 3 channels' },
].map((s) => batchNormCase(s as BatchNormSpec));

batchNormCases.push(trainingBatchNormCase([4, 5, 5, 8]), trainingBatchNormCase([16, 2, 2, 3], 'batch 16, 2x2'));

// Conformance cases: Conv2D, FusedConv2D and the two convolution gradients
// (Conv2DBackpropInput / Conv2DBackpropFilter, reached through tf.grads of a conv2d).
import * as tf from '@tensorflow/tfjs-core';

import { TOLERANCES, type Tolerance } from './compare';
import type { Case, InputSpec } from './harness';
import { grid, normal, sprinkle, type Generator } from './random';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvSpec {
  x: [number, number, number, number];
  filter: [number, number];
  outChannels: number;
  strides?: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  /** Dyadic inputs: results must be bit-identical. */
  onGrid?: boolean;
  /** Fused: bias shape (null: no bias) and activation. */
  fused?: { bias: number[] | null; activation: 'linear' | 'relu' | 'elu' | 'prelu' | 'leakyrelu' | 'relu6' | 'sigmoid' };
  dataFormat?: 'NHWC' | 'NCHW';
  grad?: boolean;
  /** Kernels expected to hand the case to cpu (when native). */
  fallback?: string[];
  xGen?: Generator;
  note?: string;
}

function padName(pad: Pad): string {
  return typeof pad === 'string' ? pad : `explicit${JSON.stringify(pad.slice(1, 3))}`;
}

function convCase(s: ConvSpec): Case {
  const [n, h, w, c] = s.x;
  const [fh, fw] = s.filter;
  const strides = s.strides ?? 1;
  const dilations = s.dilations ?? 1;
  const nchw = s.dataFormat === 'NCHW';
  const xShape = nchw ? [n, c, h, w] : [n, h, w, c];
  const filterShape = [fh, fw, c, s.outChannels];
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, dilations, s.pad,
    undefined, false, nchw ? 'channelsFirst' : 'channelsLast');
  // Dot-product lengths: forward fh fw c; input gradient <= fh fw outC; filter and bias
  // gradients n oh ow.
  const kForward = fh * fw * c;
  const kInput = fh * fw * s.outChannels;
  const kFilter = n * info.outHeight * info.outWidth;
  const gen = s.onGrid ? grid() : normal();
  const inputs: InputSpec[] = [
    { shape: xShape, gen: s.xGen ?? gen },
    { shape: filterShape, gen },
  ];
  const fused = s.fused;
  if (fused?.bias) inputs.push({ shape: fused.bias, gen });
  if (fused?.activation === 'prelu') inputs.push({ shape: [s.outChannels], gen: normal(0.3) });
  const dot = (k: number): Tolerance => (s.onGrid ? TOLERANCES.exactOnGrid() : TOLERANCES.dot(k));

  const name =
    `${fused ? `fused(${fused.activation}${fused.bias ? `, bias [${fused.bias}]` : ''}) ` : ''}conv2d x[${xShape}] ` +
    `f${fh}x${fw}->${s.outChannels} s${strides} ${padName(s.pad)}` +
    `${s.dilations ? ` d${dilations}` : ''}${nchw ? ' NCHW' : ''}${s.onGrid ? ' grid' : ''}${s.note ? ` (${s.note})` : ''}`;

  const op = (...xs: tf.Tensor[]) => {
    const [x, f] = xs as [tf.Tensor4D, tf.Tensor4D];
    if (!fused) return tf.conv2d(x, f, strides, s.pad, s.dataFormat ?? 'NHWC', dilations);
    let i = 2;
    const bias = fused.bias ? xs[i++] : undefined;
    const prelu = fused.activation === 'prelu' ? xs[i++] : undefined;
    return tf.fused.conv2d({
      x, filter: f, strides, pad: s.pad, dilations, bias, activation: fused.activation,
      preluActivationWeights: prelu, leakyreluAlpha: fused.activation === 'leakyrelu' ? 0.2 : undefined,
    });
  };

  const native: string[] = [];
  if (!s.fallback) {
    native.push(fused ? 'FusedConv2D' : 'Conv2D');
    if (s.grad) native.push('Conv2DBackpropInput', 'Conv2DBackpropFilter');
  }
  return {
    name,
    inputs,
    op,
    grad: s.grad ? inputs.map((_, i) => i).filter((i) => i < 2 || (fused?.bias && i === 2)) : undefined,
    dy: s.onGrid ? grid() : normal(),
    native,
    fallback: s.fallback,
    tol: dot(kForward),
    gradTol: [dot(kInput), dot(kFilter), dot(kFilter)],
  };
}

const SPECIAL_FEW = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

export const convCases: Case[] = [
  // plain conv2d, forward and both gradients, real-valued inputs
  { x: [1, 5, 5, 1], filter: [3, 3], outChannels: 1, pad: 'same', grad: true },
  { x: [2, 7, 9, 3], filter: [3, 3], outChannels: 16, strides: 2, pad: 'same', grad: true },
  { x: [3, 8, 8, 16], filter: [1, 1], outChannels: 17, pad: 'valid', grad: true },
  { x: [1, 6, 11, 17], filter: [5, 5], outChannels: 3, pad: 'valid', grad: true },
  { x: [2, 9, 7, 4], filter: [3, 2], outChannels: 5, strides: [2, 1], pad: 'same', grad: true },
  { x: [1, 10, 10, 3], filter: [5, 5], outChannels: 4, strides: 2, pad: 'same', grad: true },
  { x: [2, 6, 7, 3], filter: [3, 3], outChannels: 8, pad: [[0, 0], [1, 2], [0, 1], [0, 0]], grad: true },
  { x: [3, 9, 8, 3], filter: [3, 3], outChannels: 16, strides: 2, pad: [[0, 0], [2, 0], [1, 1], [0, 0]], grad: true },
  { x: [3, 8, 8, 1], filter: [2, 2], outChannels: 1, strides: 2, pad: 'valid', grad: true },
  { x: [1, 1, 1, 16], filter: [1, 1], outChannels: 17, pad: 'valid', grad: true },
  { x: [2, 5, 5, 3], filter: [3, 3], outChannels: 16, strides: 2, pad: 'valid', grad: true },
  { x: [1, 4, 4, 1], filter: [3, 3], outChannels: 1, strides: 2, pad: 'same', grad: true },
  { x: [1, 2, 3, 3], filter: [5, 5], outChannels: 4, pad: 'same', grad: true, note: 'filter larger than input' },
  { x: [5, 4, 6, 17], filter: [1, 3], outChannels: 16, strides: [1, 2], pad: 'same', grad: true },
  // dilation 2 (tfjs has no conv2d gradient for dilations > 1: forward only)
  { x: [2, 9, 9, 3], filter: [3, 3], outChannels: 16, pad: 'same', dilations: 2 },
  { x: [1, 10, 8, 17], filter: [2, 3], outChannels: 3, pad: 'valid', dilations: [2, 2] },
  { x: [1, 7, 7, 1], filter: [3, 3], outChannels: 1, pad: 'same', dilations: [2, 1] },
  // dyadic inputs: every order of summation gives the same bits
  { x: [2, 7, 7, 3], filter: [3, 3], outChannels: 16, pad: 'same', grad: true, onGrid: true },
  { x: [2, 8, 8, 16], filter: [3, 3], outChannels: 17, strides: 2, pad: 'valid', grad: true, onGrid: true },
  { x: [3, 5, 6, 1], filter: [5, 5], outChannels: 3, pad: 'same', grad: true, onGrid: true },
  // fused bias + activation; under tf.grads tfjs fuses only 'linear' (relu runs as conv + add + relu)
  { x: [2, 7, 9, 3], filter: [3, 3], outChannels: 16, pad: 'same', fused: { bias: [16], activation: 'relu' }, grad: true, onGrid: true },
  { x: [3, 6, 6, 16], filter: [1, 1], outChannels: 17, pad: 'valid', fused: { bias: [17], activation: 'linear' }, grad: true },
  { x: [1, 8, 8, 17], filter: [3, 3], outChannels: 3, strides: 2, pad: 'same', fused: { bias: [3], activation: 'relu' } },
  { x: [2, 6, 5, 4], filter: [3, 3], outChannels: 8, pad: 'same', fused: { bias: null, activation: 'relu' }, grad: true, onGrid: true },
  { x: [2, 6, 6, 3], filter: [3, 3], outChannels: 5, pad: 'valid', fused: { bias: [1, 1, 1, 5], activation: 'relu' } },
  { x: [2, 7, 7, 3], filter: [3, 3], outChannels: 4, strides: 2, pad: 'same', fused: { bias: [4], activation: 'linear' }, grad: true, onGrid: true },
  // cases the native kernels hand to tfjs-backend-cpu: they must still agree
  { x: [2, 6, 6, 3], filter: [3, 3], outChannels: 5, pad: 'same', fused: { bias: [5], activation: 'prelu' }, fallback: ['FusedConv2D'] },
  { x: [2, 6, 6, 3], filter: [3, 3], outChannels: 5, pad: 'same', fused: { bias: [5], activation: 'elu' }, fallback: ['FusedConv2D'] },
  { x: [1, 5, 5, 3], filter: [3, 3], outChannels: 4, pad: 'valid', fused: { bias: [4], activation: 'leakyrelu' }, fallback: ['FusedConv2D'] },
  { x: [1, 5, 5, 3], filter: [3, 3], outChannels: 4, pad: 'same', fused: { bias: [5, 5, 4], activation: 'relu' }, fallback: ['FusedConv2D'], note: 'bias [oh, ow, c]' },
  { x: [1, 5, 5, 3], filter: [3, 3], outChannels: 4, pad: 'same', fused: { bias: [1], activation: 'linear' }, fallback: ['FusedConv2D'], note: 'bias [1]' },
  { x: [2, 6, 7, 3], filter: [3, 3], outChannels: 4, pad: 'same', dataFormat: 'NCHW', grad: true, fallback: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] },
  // edge cases: an empty batch, NaN and infinities in x (positions must match)
  { x: [0, 5, 5, 3], filter: [3, 3], outChannels: 4, pad: 'same', grad: true, note: 'empty batch' },
  { x: [2, 6, 6, 3], filter: [3, 3], outChannels: 4, pad: 'same', grad: true, xGen: sprinkle(normal(), SPECIAL_FEW, 0.01), note: 'NaN/Inf in x' },
].map((s) => convCase(s as ConvSpec));

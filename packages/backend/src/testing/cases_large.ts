// Conformance cases with large outputs (>= 16384 elements, the size from which kdlts recycles
// native output buffers through its pool): the harness runs every case twice on kdlts and fills
// the pool's free buffers with NaN in between, so a kernel that leaves part of a recycled output
// unwritten (zero padding, empty reductions, k = 0 products, gradients that scatter into a
// zero-initialised buffer) shows up as NaN where tfjs has numbers.
import * as tf from '@tensorflow/tfjs-core';

import { TOLERANCES } from './compare';
import type { Case } from './harness';
import { choices, grid, normal, SPECIALS, sprinkle } from './random';

const INF = Number.POSITIVE_INFINITY;

export const largeCases: Case[] = [
  {
    name: 'large: conv2d x[2,32,32,8] f3x3->8 s1 same',
    inputs: [{ shape: [2, 32, 32, 8], gen: normal() }, { shape: [3, 3, 8, 8], gen: normal() }],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'),
    grad: [0, 1],
    native: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
    tol: TOLERANCES.dot(2 * 32 * 32),
  },
  {
    name: 'large: conv2d x[2,34,34,8] f3x3->8 s2 explicit padding, grid',
    inputs: [{ shape: [2, 34, 34, 8], gen: grid() }, { shape: [3, 3, 8, 32], gen: grid() }],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, [[0, 0], [2, 1], [1, 2], [0, 0]]),
    grad: [0, 1],
    dy: grid(),
    native: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
    tol: TOLERANCES.exactOnGrid(),
  },
  {
    name: 'large: fused(relu, bias) conv2d x[2,32,32,8] f3x3->8 same, grid',
    inputs: [{ shape: [2, 32, 32, 8], gen: grid() }, { shape: [3, 3, 8, 8], gen: grid() }, { shape: [8], gen: grid() }],
    op: (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
    grad: [0, 1, 2],
    dy: grid(),
    native: ['FusedConv2D'],
    tol: TOLERANCES.exactOnGrid(),
  },
  {
    name: 'large: matMul [128,192] x [192,128]',
    inputs: [{ shape: [128, 192], gen: normal() }, { shape: [192, 128], gen: normal() }],
    op: (a, b) => tf.matMul(a, b),
    grad: [0, 1],
    native: ['BatchMatMul'],
    tol: TOLERANCES.dot(192),
  },
  {
    name: 'large: fused(relu, bias) matMul [128,64]T x [128,256], grid',
    inputs: [{ shape: [64, 128], gen: grid() }, { shape: [64, 256], gen: grid() }, { shape: [256], gen: grid() }],
    op: (a, b, bias) => tf.fused.matMul({ a, b, transposeA: true, bias, activation: 'relu' }),
    grad: [0, 1, 2],
    dy: grid(),
    native: ['_FusedMatMul'],
    tol: TOLERANCES.exactOnGrid(),
  },
  {
    name: 'large: matMul [128,0] x [0,256] (k = 0: zeros)',
    inputs: [{ shape: [128, 0], gen: normal() }, { shape: [0, 256], gen: normal() }],
    op: (a, b) => tf.matMul(a, b),
    native: ['BatchMatMul'],
    tol: TOLERANCES.exact(),
  },
  {
    name: 'large: maxPool x[2,64,32,4] f2 s2 (gradient scatters into zeros; -Inf windows)',
    inputs: [{ shape: [2, 64, 32, 4], gen: choices([-INF, -INF, -INF, 1, 2]) }],
    op: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
    grad: [0],
    native: ['MaxPool', 'MaxPoolGrad'],
    tol: TOLERANCES.exact(),
  },
  {
    name: 'large: maxPool x[1,64,64,4] f3 s1 same',
    inputs: [{ shape: [1, 64, 64, 4], gen: normal() }],
    op: (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same'),
    grad: [0],
    native: ['MaxPool', 'MaxPoolGrad'],
    tol: TOLERANCES.exact(),
  },
  {
    name: 'large: avgPool x[2,64,32,4] f3 s1 same',
    inputs: [{ shape: [2, 64, 32, 4], gen: normal() }],
    op: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'),
    grad: [0],
    native: ['AvgPool', 'AvgPoolGrad'],
    tol: TOLERANCES.dot(9),
  },
  {
    name: 'large: relu / sigmoid [256,256] with NaN, Inf',
    inputs: [{ shape: [256, 256], gen: sprinkle(normal(3), SPECIALS, 0.05) }],
    op: (x) => tf.concat([tf.relu(x), tf.sigmoid(x)]),
    grad: [0],
    native: ['Relu', 'Sigmoid'],
    tol: TOLERANCES.transcendental(),
    gradTol: TOLERANCES.composite(),
  },
  {
    name: 'large: add / mul / maximum [64,64,8] x [8]',
    inputs: [{ shape: [64, 64, 8], gen: normal() }, { shape: [8], gen: normal() }],
    op: (a, b) => tf.maximum(tf.mul(tf.add(a, b), b), a),
    native: ['Add', 'Multiply', 'Maximum'],
    tol: TOLERANCES.exact(),
  },
  {
    name: 'large: sum / max [20000,3] axis 1 keepDims, [0,20000] axis 0 (empty: zeros)',
    inputs: [{ shape: [20000, 3], gen: normal() }, { shape: [0, 20000], gen: normal() }],
    op: (a, e) => tf.concat([tf.reshape(tf.sum(a, 1, true), [20000]), tf.reshape(tf.max(a, 1, true), [20000]), tf.sum(e, 0)]),
    native: ['Sum', 'Max'],
    tol: TOLERANCES.sum(3),
  },
  {
    name: 'large: softmax [128,200]',
    inputs: [{ shape: [128, 200], gen: normal(3) }],
    op: (x) => tf.softmax(x),
    grad: [0],
    native: ['Softmax'],
    tol: TOLERANCES.softmax(200),
    gradTol: TOLERANCES.composite(),
  },
  {
    name: 'large: tile [64,64] reps [2,2], transpose [64,32,16] perm [2,0,1]',
    inputs: [{ shape: [64, 64], gen: normal() }, { shape: [64, 32, 16], gen: normal() }],
    op: (a, b) => tf.concat([tf.reshape(tf.tile(a, [2, 2]), [-1]), tf.reshape(tf.transpose(b, [2, 0, 1]), [-1])]),
    grad: [0, 1],
    native: ['Tile', 'Transpose'],
    tol: TOLERANCES.exact(),
  },
  {
    name: 'large: batchNorm training (moments) x[8,16,16,16]',
    inputs: [{ shape: [8, 16, 16, 16], gen: normal(1.5, 0.3) }, { shape: [16], gen: normal() }, { shape: [16], gen: normal(1, 1) }],
    op: (x, offset, scale) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
    },
    grad: [0, 1, 2],
    native: ['FusedBatchNorm', 'Mean', 'Tile', 'Sum'],
    tol: TOLERANCES.composite(),
  },
];

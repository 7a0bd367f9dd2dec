// Conformance cases: float32 tensors whose storage is not a Float32Array. tfjs-backend-cpu casts
// int32 and bool to float32 without copying (Cast is an identity that shares the Int32Array /
// Uint8Array and relabels the dtype), and tfjs's own gradients do it all the time
// (mul(dy, cast(greaterEqual(a, b), 'float32')) for Maximum, Max, Relu6...). Every native kernel
// must accept such inputs (convert, or hand them to cpu) and give tfjs's result.
import * as tf from '@tensorflow/tfjs-core';

import { TOLERANCES } from './compare';
import type { Case } from './harness';
import { ints, normal } from './random';

const asFloat = (t: tf.Tensor) => tf.cast(t, 'float32');
const asFloatMask = (t: tf.Tensor) => tf.cast(tf.greater(t, 0), 'float32');

const E = TOLERANCES.exact();

export const castCases: Case[] = [
  {
    name: 'Cast int32 -> float32 [5,7]',
    inputs: [{ shape: [5, 7], gen: ints(-1000, 1000) }],
    op: (a) => asFloat(a),
    native: ['Cast'],
    tol: E,
  },
  {
    name: 'Cast bool -> float32 [4,6]',
    inputs: [{ shape: [4, 6], gen: normal() }],
    op: (a) => asFloatMask(a),
    native: ['Cast'],
    tol: E,
  },
  {
    name: 'Cast int32 -> float32 of large values (rounded to float32)',
    inputs: [{ shape: [64], gen: ints(16777000, 16778000) }, { shape: [64], gen: ints(-2147483647, -2147000000) }],
    op: (a, b) => tf.concat([asFloat(a), asFloat(b)]),
    native: ['Cast'],
    tol: E,
  },
  {
    name: 'Cast float32 -> int32, int32 -> bool (tfjs-backend-cpu)',
    inputs: [{ shape: [3, 5], gen: normal(4) }],
    op: (a) => tf.add(tf.cast(a, 'int32'), tf.cast(tf.cast(tf.cast(a, 'int32'), 'bool'), 'int32')),
    native: [],
    fallback: ['Cast', 'Add'],
    tol: E,
  },
  {
    name: 'Add: float32 cast from int32 + float32',
    inputs: [{ shape: [3, 4], gen: ints(-9, 9) }, { shape: [3, 4], gen: normal() }],
    op: (a, b) => tf.add(asFloat(a), b),
    grad: [1],
    native: ['Add'],
    tol: E,
  },
  {
    name: 'Multiply: float32 cast from bool x float32 (broadcast)',
    inputs: [{ shape: [2, 3, 4], gen: normal() }, { shape: [4], gen: normal() }],
    op: (a, b) => tf.mul(asFloatMask(a), b),
    grad: [1],
    native: ['Multiply'],
    tol: E,
    gradTol: TOLERANCES.sum(6),
  },
  {
    name: 'Relu / Exp of float32 cast from int32',
    inputs: [{ shape: [10], gen: ints(-5, 5) }],
    op: (a) => tf.add(tf.relu(asFloat(a)), tf.exp(asFloat(a))),
    native: ['Relu', 'Exp'],
    tol: TOLERANCES.transcendental(),
  },
  {
    name: 'Sum / Max of float32 cast from int32',
    inputs: [{ shape: [4, 6], gen: ints(-50, 50) }],
    op: (a) => tf.add(tf.sum(asFloat(a), 1), tf.max(asFloat(a), 1)),
    native: ['Sum', 'Max'],
    tol: E,
  },
  {
    name: 'BatchMatMul of float32 cast from int32',
    inputs: [{ shape: [3, 5], gen: ints(-4, 5) }, { shape: [5, 2], gen: ints(-4, 5) }],
    op: (a, b) => tf.matMul(asFloat(a), asFloat(b)),
    native: ['BatchMatMul'],
    tol: E,
  },
  {
    name: 'Conv2D / MaxPool / AvgPool of float32 cast from int32',
    inputs: [{ shape: [1, 5, 5, 2], gen: ints(-4, 5) }, { shape: [3, 3, 2, 3], gen: ints(-4, 5) }],
    op: (x, f) => {
      const y = tf.conv2d(asFloat(x) as tf.Tensor4D, asFloat(f) as tf.Tensor4D, 1, 'same');
      const pools = tf.add(tf.maxPool(asFloat(x) as tf.Tensor4D, 2, 1, 'same'), tf.avgPool(asFloat(x) as tf.Tensor4D, 2, 1, 'same'));
      return tf.add(y, tf.sum(pools, -1, true));
    },
    native: ['Conv2D', 'MaxPool', 'AvgPool'],
    tol: E,
  },
  {
    name: 'Softmax / Transpose / Tile of float32 cast from int32',
    inputs: [{ shape: [4, 4], gen: ints(-4, 5) }],
    op: (a) => tf.concat([tf.softmax(asFloat(a)), tf.tile(tf.transpose(asFloat(a)), [2, 1])], 0),
    native: ['Softmax', 'Transpose', 'Tile'],
    tol: TOLERANCES.softmax(4),
  },
  {
    name: 'FusedBatchNorm of float32 cast from int32',
    inputs: [{ shape: [2, 2, 2, 3], gen: ints(-4, 5) }, { shape: [3], gen: normal() }],
    op: (x, mean) => tf.batchNorm(asFloat(x), mean, tf.onesLike(mean), undefined, undefined, 1e-3),
    native: ['FusedBatchNorm'],
    tol: TOLERANCES.composite(),
  },
];

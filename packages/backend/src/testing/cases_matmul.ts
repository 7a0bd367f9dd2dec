// Conformance cases: BatchMatMul and _FusedMatMul (forward, and their gradients, which are
// matMuls with transposes plus sums over broadcast batch dimensions).
import * as tf from '@tensorflow/tfjs-core';

import { TOLERANCES } from './compare';
import type { Case, InputSpec } from './harness';
import { grid, ints, normal } from './random';

interface MatmulSpec {
  a: number[];
  b: number[];
  transposeA?: boolean;
  transposeB?: boolean;
  fused?: { bias: number[] | null; activation: 'linear' | 'relu' | 'elu' | 'prelu' | 'leakyrelu' | 'sigmoid' };
  onGrid?: boolean;
  int32?: boolean;
  grad?: boolean;
  fallback?: string[];
  note?: string;
}

function matmulCase(s: MatmulSpec): Case {
  const ra = s.a.length;
  const rb = s.b.length;
  const m = s.transposeA ? s.a[ra - 1] : s.a[ra - 2];
  const k = s.transposeA ? s.a[ra - 2] : s.a[ra - 1];
  const n = s.transposeB ? s.b[rb - 2] : s.b[rb - 1];
  const outer = tf.backend_util.assertAndGetBroadcastShape(s.a.slice(0, -2), s.b.slice(0, -2));
  const batch = outer.reduce((p, q) => p * q, 1);
  // Dot-product lengths: k (forward), n (dA), m (dB, per batch: tfjs cannot differentiate a
  // broadcast batch), m * batch (the bias gradient sums over rows and batches).
  const dot = (terms: number) => (s.onGrid || s.int32 ? TOLERANCES.exactOnGrid() : TOLERANCES.dot(terms));
  const gen = s.int32 ? ints(-4, 5) : s.onGrid ? grid() : normal();
  const inputs: InputSpec[] = [
    { shape: s.a, gen },
    { shape: s.b, gen },
  ];
  const fused = s.fused;
  if (fused?.bias) inputs.push({ shape: fused.bias, gen });
  if (fused?.activation === 'prelu') inputs.push({ shape: [n], gen: normal(0.3) });

  const op = (...xs: tf.Tensor[]) => {
    const [a, b] = xs;
    if (!fused) return tf.matMul(a, b, s.transposeA, s.transposeB);
    let i = 2;
    const bias = fused.bias ? xs[i++] : undefined;
    const prelu = fused.activation === 'prelu' ? xs[i++] : undefined;
    return tf.fused.matMul({
      a, b, transposeA: s.transposeA, transposeB: s.transposeB, bias, activation: fused.activation,
      preluActivationWeights: prelu, leakyreluAlpha: fused.activation === 'leakyrelu' ? 0.2 : undefined,
    });
  };
  const name =
    `${fused ? `fused(${fused.activation}${fused.bias ? `, bias [${fused.bias}]` : ''}) ` : ''}matMul ` +
    `[${s.a}]${s.transposeA ? 'T' : ''} x [${s.b}]${s.transposeB ? 'T' : ''}` +
    `${s.onGrid ? ' grid' : ''}${s.int32 ? ' int32' : ''}${s.note ? ` (${s.note})` : ''}`;
  return {
    name,
    inputs,
    op,
    grad: s.grad ? inputs.map((_, i) => i).filter((i) => i < 2 || (fused?.bias && i === 2)) : undefined,
    dy: s.onGrid ? grid() : normal(),
    native: s.fallback ? [] : [fused ? '_FusedMatMul' : 'BatchMatMul'],
    fallback: s.fallback,
    tol: dot(k),
    gradTol: [dot(n), dot(m), dot(m * batch)],
  };
}

const specs: MatmulSpec[] = [
  { a: [1, 1], b: [1, 1], grad: true },
  { a: [3, 5], b: [5, 4], grad: true },
  { a: [5, 3], b: [5, 4], transposeA: true, grad: true },
  { a: [3, 5], b: [4, 5], transposeB: true, grad: true },
  { a: [5, 3], b: [4, 5], transposeA: true, transposeB: true, grad: true },
  { a: [33, 17], b: [33, 9], transposeA: true, grad: true },
  { a: [64, 128], b: [128, 48], grad: true },
  { a: [1, 200], b: [200, 1], grad: true, note: 'long dot' },
  { a: [2, 3, 4], b: [2, 4, 5], grad: true },
  // (tfjs's BatchMatMul gradient does not sum over broadcast batches: forward only)
  { a: [1, 3, 4], b: [5, 4, 6], note: 'batch broadcast a' },
  { a: [5, 3, 4], b: [4, 6], note: 'rank 3 x rank 2' },
  { a: [3, 4], b: [7, 6, 4], transposeB: true, note: 'rank 2 x rank 3' },
  { a: [2, 3, 4, 5], b: [2, 3, 5, 2], grad: true },
  { a: [2, 3, 5, 4], b: [2, 3, 2, 5], transposeA: true, transposeB: true, grad: true },
  { a: [16, 40], b: [12, 40], transposeB: true, grad: true, onGrid: true },
  { a: [3, 17, 33], b: [3, 33, 16], grad: true, onGrid: true },
  // empty operands: m = 0, k = 0 (a zero-filled result), batch 0
  { a: [0, 4], b: [4, 3], grad: true },
  { a: [3, 0], b: [0, 4], grad: true },
  { a: [2, 0, 3], b: [2, 3, 4], grad: true },
  // fused bias / activation (tfjs fuses only 'linear' under tf.grads)
  { a: [6, 10], b: [10, 7], fused: { bias: [7], activation: 'relu' }, grad: true, onGrid: true },
  { a: [10, 6], b: [7, 10], transposeA: true, transposeB: true, fused: { bias: [7], activation: 'linear' }, grad: true },
  { a: [9, 20], b: [20, 5], fused: { bias: null, activation: 'relu' } },
  { a: [2, 3, 4], b: [2, 4, 5], fused: { bias: [5], activation: 'relu' }, grad: true, onGrid: true },
  { a: [4, 6], b: [6, 3], fused: { bias: [1, 3], activation: 'linear' }, grad: true },
  { a: [4, 6], b: [6, 3], fused: { bias: [3], activation: 'relu' }, note: 'relu forward on real values' },
  // handed to tfjs-backend-cpu: they must still agree
  { a: [2, 1, 3, 4], b: [1, 5, 4, 6], fallback: ['BatchMatMul'], note: 'both batches broadcast' },
  { a: [4, 6], b: [6, 3], fused: { bias: [3], activation: 'prelu' }, fallback: ['_FusedMatMul'] },
  { a: [4, 6], b: [6, 3], fused: { bias: [3], activation: 'elu' }, fallback: ['_FusedMatMul'] },
  { a: [4, 6], b: [6, 3], fused: { bias: [3], activation: 'leakyrelu' }, fallback: ['_FusedMatMul'] },
  { a: [4, 6], b: [6, 3], fused: { bias: [3], activation: 'sigmoid' }, fallback: ['_FusedMatMul'] },
  { a: [4, 6], b: [6, 3], fused: { bias: [4, 3], activation: 'relu' }, fallback: ['_FusedMatMul'], note: 'bias [m, n]' },
  { a: [3, 4], b: [4, 2], int32: true, fallback: ['BatchMatMul'] },
];

export const matmulCases: Case[] = specs.map(matmulCase);

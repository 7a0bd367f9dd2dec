// Shared by BatchMatMul and _FusedMatMul: shapes of a (possibly broadcast) batched product.
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { Activation, type MatmulParams } from '@kdlts/native';

import { nn } from './native';
import { alloc, f32, output, sizeOf, type Backend } from './util';

export interface MatmulPlan {
  params: MatmulParams;
  outShape: number[];
}

/** The native plan, or null when the batch broadcast is beyond "one side has batch 1". */
export function planMatmul(a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): MatmulPlan | null {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // let tfjs-backend-cpu raise its own error
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = sizeOf(outer), batchA = sizeOf(a.shape.slice(0, -2)), batchB = sizeOf(b.shape.slice(0, -2));
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) return null;
  return {
    params: { batchA, batchB, m, n, k, transA, transB, activation: Activation.linear },
    outShape: [...outer, m, n],
  };
}

export function runMatmul(
  backend: Backend,
  plan: MatmulPlan,
  a: TensorInfo,
  b: TensorInfo,
  bias: TensorInfo | undefined,
  activation: number,
): TensorInfo {
  const c = alloc(backend, sizeOf(plan.outShape));
  nn().matmul(f32(backend, a), f32(backend, b), bias ? f32(backend, bias) : null, c, { ...plan.params, activation });
  return output(backend, plan.outShape, c);
}

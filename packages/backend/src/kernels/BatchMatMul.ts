import { BatchMatMul, type BatchMatMulAttrs, type BatchMatMulInputs } from '@tensorflow/tfjs-core';
import { Activation } from '@kdlts/native';

import { planMatmul, runMatmul } from './matmul_common';
import { allFloat32, cpuFallback, kernel, type KernelArgs } from './util';

export function batchMatMul(args: KernelArgs<BatchMatMulInputs, BatchMatMulAttrs>) {
  const { a, b } = args.inputs;
  const plan = allFloat32(args.backend, a, b) ? planMatmul(a, b, args.attrs.transposeA, args.attrs.transposeB) : null;
  if (!plan) return cpuFallback(BatchMatMul, args);
  return runMatmul(args.backend, plan, a, b, undefined, Activation.linear);
}

export const batchMatMulConfig = kernel(BatchMatMul, batchMatMul);

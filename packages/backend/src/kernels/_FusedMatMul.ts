import { _FusedMatMul, type _FusedMatMulAttrs, type _FusedMatMulInputs } from '@tensorflow/tfjs-core';

import { fusedActivation, vectorBias } from './fused_common';
import { planMatmul, runMatmul } from './matmul_common';
import { allFloat32, cpuFallback, kernel, type KernelArgs } from './util';

export function fusedMatMul(args: KernelArgs<_FusedMatMulInputs, _FusedMatMulAttrs>) {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const activation = fusedActivation(args.attrs.activation);
  const plan =
    allFloat32(args.backend, a, b, bias) && activation !== null && !preluActivationWeights
      ? planMatmul(a, b, args.attrs.transposeA, args.attrs.transposeB)
      : null;
  if (!plan || (bias && !vectorBias(bias, plan.params.n))) return cpuFallback(_FusedMatMul, args);
  return runMatmul(args.backend, plan, a, b, bias, activation!);
}

export const fusedMatMulConfig = kernel(_FusedMatMul, fusedMatMul);

import { FusedBatchNorm, type FusedBatchNormAttrs, type FusedBatchNormInputs } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { alloc, allFloat32, cpuFallback, f32, kernel, output, sizeOf, type KernelArgs } from './util';

export function fusedBatchNorm(args: KernelArgs<FusedBatchNormInputs, FusedBatchNormAttrs>) {
  const { x, mean, variance, offset, scale } = args.inputs;
  const channels = x.shape.length > 0 ? x.shape[x.shape.length - 1] : 1;
  // Native: one value per channel of a channels-last x; anything else (tfjs's modulo indexing
  // of shorter vectors) stays on tfjs-backend-cpu.
  const perChannel = (t: TensorInfo | undefined) => !t || sizeOf(t.shape) === channels;
  if (
    !allFloat32(args.backend, x, mean, variance, offset, scale) || x.shape.length === 0 || channels === 0 ||
    ![mean, variance, offset, scale].every(perChannel)
  ) {
    return cpuFallback(FusedBatchNorm, args);
  }
  const b = args.backend;
  const y = alloc(args.backend, sizeOf(x.shape));
  nn().batchNorm(
    f32(b, x), f32(b, mean), f32(b, variance), offset ? f32(b, offset) : null, scale ? f32(b, scale) : null,
    y, channels, args.attrs.varianceEpsilon);
  return output(b, x.shape, y);
}

export const fusedBatchNormConfig = kernel(FusedBatchNorm, fusedBatchNorm);

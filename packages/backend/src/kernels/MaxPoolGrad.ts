import { MaxPoolGrad, type MaxPoolGradAttrs, type MaxPoolGradInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { nativePool, poolInfo } from './pool_common';
import { alloc, cpuFallback, f32, kernel, output, pool2dGeometry, sizeOf, type KernelArgs } from './util';

export function maxPoolGrad(args: KernelArgs<MaxPoolGradInputs, MaxPoolGradAttrs>) {
  const { dy, input } = args.inputs;
  const info = poolInfo(input, args.attrs);
  if (input.shape.length !== 4 || !nativePool(args.backend, info, dy, input)) return cpuFallback(MaxPoolGrad, args);
  const dx = alloc(args.backend, sizeOf(input.shape));
  nn().maxPoolBackward(f32(args.backend, input), f32(args.backend, dy), dx, pool2dGeometry(info));
  return output(args.backend, input.shape, dx);
}

export const maxPoolGradConfig = kernel(MaxPoolGrad, maxPoolGrad);

import { AvgPool, type AvgPoolAttrs, type AvgPoolInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { nativePool, poolInfo } from './pool_common';
import { alloc, cpuFallback, f32, kernel, output, pool2dGeometry, sizeOf, type KernelArgs } from './util';

export function avgPool(args: KernelArgs<AvgPoolInputs, AvgPoolAttrs>) {
  const { x } = args.inputs;
  const info = poolInfo(x, args.attrs);
  if (x.shape.length !== 4 || !nativePool(args.backend, info, x)) return cpuFallback(AvgPool, args);
  const y = alloc(args.backend, sizeOf(info.outShape));
  nn().avgPoolForward(f32(args.backend, x), y, pool2dGeometry(info));
  return output(args.backend, info.outShape, y);
}

export const avgPoolConfig = kernel(AvgPool, avgPool);

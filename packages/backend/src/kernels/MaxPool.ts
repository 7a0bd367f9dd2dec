import { MaxPool, type MaxPoolAttrs, type MaxPoolInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { nativePool, poolInfo } from './pool_common';
import { alloc, cpuFallback, f32, kernel, output, pool2dGeometry, sizeOf, type KernelArgs } from './util';

export function maxPool(args: KernelArgs<MaxPoolInputs, MaxPoolAttrs>) {
  const { x } = args.inputs;
  const info = poolInfo(x, args.attrs);
  if (x.shape.length !== 4 || !nativePool(args.backend, info, x)) return cpuFallback(MaxPool, args);
  const y = alloc(args.backend, sizeOf(info.outShape));
  nn().maxPoolForward(f32(args.backend, x), y, pool2dGeometry(info));
  return output(args.backend, info.outShape, y);
}

export const maxPoolConfig = kernel(MaxPool, maxPool);

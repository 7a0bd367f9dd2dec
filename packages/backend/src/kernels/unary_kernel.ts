// One factory for the elementwise unary kernels: float32 runs natively, other dtypes on
// tfjs-backend-cpu. `alpha` reads an attribute (Step's value for x <= 0).
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { allFloat32, alloc, cpuFallback, f32, kernel, output, sizeOf, type KernelArgs } from './util';

export function unaryKernel(kernelName: string, op: number, alpha?: (attrs: Record<string, unknown>) => number): KernelConfig {
  return kernel(kernelName, (args: KernelArgs<{ x: TensorInfo }, Record<string, unknown>>) => {
    const { x } = args.inputs;
    if (!allFloat32(args.backend, x)) return cpuFallback(kernelName, args);
    const y = alloc(args.backend, sizeOf(x.shape));
    nn().unary(op, f32(args.backend, x), y, alpha ? alpha(args.attrs) : 0);
    return output(args.backend, x.shape, y);
  });
}

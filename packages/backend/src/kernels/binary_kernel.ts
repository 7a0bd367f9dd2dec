// One factory for the broadcasting binary kernels (as tfjs-backend-cpu's binaryKernelFunc):
// float32 operands run natively, anything else (int32, complex) on tfjs-backend-cpu.
import * as tf from '@tensorflow/tfjs-core';
import type { BinaryInputs, KernelConfig } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { alloc, allFloat32, cpuFallback, f32, kernel, output, sizeOf, type KernelArgs } from './util';

const MAX_RANK = 8;

function padShape(shape: number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

export function binaryKernel(kernelName: string, op: number): KernelConfig {
  return kernel(kernelName, (args: KernelArgs<BinaryInputs, unknown>) => {
    const { a, b } = args.inputs;
    if (!allFloat32(args.backend, a, b)) return cpuFallback(kernelName, args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const rank = outShape.length;
    if (rank > MAX_RANK) return cpuFallback(kernelName, args);
    const out = alloc(args.backend, sizeOf(outShape));
    nn().binary(op, f32(args.backend, a), padShape(a.shape, rank), f32(args.backend, b), padShape(b.shape, rank), out, outShape);
    return output(args.backend, outShape, out);
  });
}

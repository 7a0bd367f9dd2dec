// One factory for the reductions (Sum, Mean, Max, Min): float32 over contiguous axes runs
// natively as outer x size x inner; other dtypes and scattered axes go to tfjs-backend-cpu.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

import { ReduceOp } from '@kdlts/native';

import { nn } from './native';
import { allFloat32, alloc, cpuFallback, f32, kernel, output, sizeOf, type KernelArgs } from './util';

interface ReduceAttrs {
  axis?: number | number[];
  reductionIndices?: number | number[];
  keepDims: boolean;
}

export function reduceKernel(kernelName: string, op: number): KernelConfig {
  return kernel(kernelName, (args: KernelArgs<{ x: TensorInfo }, ReduceAttrs>) => {
    const { x } = args.inputs;
    const { keepDims } = args.attrs;
    if (!allFloat32(args.backend, x)) return cpuFallback(kernelName, args);
    // Max names its axes reductionIndices; the others, axis. null/undefined means every axis.
    const axisAttr = 'reductionIndices' in args.attrs ? args.attrs.reductionIndices : args.attrs.axis;
    const axes = tf.util.parseAxisParam(axisAttr ?? (null as unknown as number[]), x.shape).sort((p, q) => p - q);
    for (let i = 1; i < axes.length; ++i) if (axes[i] !== axes[i - 1] + 1) return cpuFallback(kernelName, args);
    const first = axes.length ? axes[0] : x.shape.length;
    const last = axes.length ? axes[axes.length - 1] : x.shape.length - 1;
    const outer = sizeOf(x.shape.slice(0, first));
    const size = sizeOf(x.shape.slice(first, last + 1));
    const inner = sizeOf(x.shape.slice(last + 1));
    const reduced = new Set(axes);
    const outShape = x.shape.flatMap((d, i) => (reduced.has(i) ? (keepDims ? [1] : []) : [d]));
    const y = alloc(args.backend, outer * inner);
    // Over an empty axis tfjs gives sum = mean = 0 (its mean divides a 0 sum by the input size)
    // and max = min = NaN.
    if (size === 0) y.fill(op === ReduceOp.sum || op === ReduceOp.mean ? 0 : NaN);
    else nn().reduce(op, f32(args.backend, x), y, outer, size, inner);
    return output(args.backend, outShape, y);
  });
}

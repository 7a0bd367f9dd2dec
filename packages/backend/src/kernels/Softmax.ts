import { Softmax, type SoftmaxAttrs, type SoftmaxInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { allFloat32, alloc, cpuFallback, f32, kernel, output, sizeOf, type KernelArgs } from './util';

export function softmax(args: KernelArgs<SoftmaxInputs, SoftmaxAttrs>) {
  const { logits } = args.inputs;
  const rank = logits.shape.length;
  const lastAxis = args.attrs.dim === -1 || args.attrs.dim === rank - 1;
  if (!allFloat32(args.backend, logits) || rank === 0 || !lastAxis) return cpuFallback(Softmax, args);
  const cols = logits.shape[rank - 1];
  const total = sizeOf(logits.shape);
  const y = alloc(args.backend, total);
  nn().softmax(f32(args.backend, logits), y, cols === 0 ? 0 : total / cols, cols);
  return output(args.backend, logits.shape, y);
}

export const softmaxConfig = kernel(Softmax, softmax);

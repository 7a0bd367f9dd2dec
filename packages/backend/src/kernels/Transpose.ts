import { Transpose, type TransposeAttrs, type TransposeInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { allFloat32, alloc, cpuFallback, f32, kernel, output, sizeOf, type KernelArgs } from './util';

export function transpose(args: KernelArgs<TransposeInputs, TransposeAttrs>) {
  const { x } = args.inputs;
  const { perm } = args.attrs;
  if (!allFloat32(args.backend, x) || x.shape.length > 8 || perm.length !== x.shape.length) return cpuFallback(Transpose, args);
  const outShape = perm.map((p) => x.shape[p]);
  const y = alloc(args.backend, sizeOf(outShape));
  nn().transpose(f32(args.backend, x), x.shape, perm, y);
  return output(args.backend, outShape, y);
}

export const transposeConfig = kernel(Transpose, transpose);

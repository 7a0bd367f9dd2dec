// Cast to float32 from int32/bool as a real Float32Array: tfjs-backend-cpu keeps a bool tensor's
// Uint8Array under the new dtype, which every native kernel downstream would have to refuse.
import { Cast, type CastAttrs, type CastInputs } from '@tensorflow/tfjs-core';

import { alloc, cpuFallback, kernel, output, sizeOf, type KernelArgs } from './util';

export function cast(args: KernelArgs<CastInputs, CastAttrs>) {
  const { x } = args.inputs;
  if (args.attrs.dtype !== 'float32' || (x.dtype !== 'int32' && x.dtype !== 'bool')) return cpuFallback(Cast, args);
  const values = args.backend.data.get(x.dataId).values as Int32Array | Uint8Array;
  const y = alloc(args.backend, sizeOf(x.shape));
  for (let i = 0; i < y.length; i++) y[i] = values[i];
  return output(args.backend, x.shape, y);
}

export const castConfig = kernel(Cast, cast);

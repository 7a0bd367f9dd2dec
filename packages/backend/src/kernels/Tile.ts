import { Tile, type TileAttrs, type TileInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { allFloat32, alloc, cpuFallback, f32, kernel, output, sizeOf, type KernelArgs } from './util';

export function tile(args: KernelArgs<TileInputs, TileAttrs>) {
  const { x } = args.inputs;
  const { reps } = args.attrs;
  if (!allFloat32(args.backend, x) || x.shape.length > 8 || reps.length !== x.shape.length) return cpuFallback(Tile, args);
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const y = alloc(args.backend, sizeOf(outShape));
  nn().tile(f32(args.backend, x), x.shape, reps, y);
  return output(args.backend, outShape, y);
}

export const tileConfig = kernel(Tile, tile);

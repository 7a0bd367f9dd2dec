import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type Conv2DBackpropFilterInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { alloc, allFloat32, conv2dGeometry, cpuFallback, f32, kernel, nativeConvInfo, output, sizeOf, type KernelArgs } from './util';

export function conv2DBackpropFilter(args: KernelArgs<Conv2DBackpropFilterInputs, Conv2DBackpropFilterAttrs>) {
  const { x, dy } = args.inputs;
  const { filterShape, strides, pad, dataFormat, dimRoundingMode } = args.attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false,
    tf.backend_util.convertConv2DDataFormat(dataFormat));
  if (!allFloat32(args.backend, x, dy) || !nativeConvInfo(info)) return cpuFallback(Conv2DBackpropFilter, args);
  const dfilter = alloc(args.backend, sizeOf(info.filterShape));
  nn().conv2dBackwardFilter(f32(args.backend, x), f32(args.backend, dy), dfilter, conv2dGeometry(info));
  return output(args.backend, info.filterShape, dfilter);
}

export const conv2DBackpropFilterConfig = kernel(Conv2DBackpropFilter, conv2DBackpropFilter);

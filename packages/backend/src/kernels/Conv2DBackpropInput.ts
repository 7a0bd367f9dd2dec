import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type Conv2DBackpropInputInputs } from '@tensorflow/tfjs-core';

import { nn } from './native';
import { alloc, allFloat32, conv2dGeometry, cpuFallback, f32, kernel, nativeConvInfo, output, sizeOf, type KernelArgs } from './util';

export function conv2DBackpropInput(args: KernelArgs<Conv2DBackpropInputInputs, Conv2DBackpropInputAttrs>) {
  const { dy, filter } = args.inputs;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = args.attrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false,
    tf.backend_util.convertConv2DDataFormat(dataFormat));
  if (!allFloat32(args.backend, dy, filter) || !nativeConvInfo(info)) return cpuFallback(Conv2DBackpropInput, args);
  const dx = alloc(args.backend, sizeOf(info.inShape));
  nn().conv2dBackwardInput(f32(args.backend, dy), f32(args.backend, filter), dx, conv2dGeometry(info));
  return output(args.backend, info.inShape, dx);
}

export const conv2DBackpropInputConfig = kernel(Conv2DBackpropInput, conv2DBackpropInput);

import * as tf from '@tensorflow/tfjs-core';
import { Conv2D, type Conv2DAttrs, type Conv2DInputs } from '@tensorflow/tfjs-core';
import { Activation } from '@kdlts/native';

import { nn } from './native';
import { alloc, allFloat32, conv2dGeometry, cpuFallback, f32, kernel, nativeConvInfo, output, sizeOf, type KernelArgs } from './util';

export function conv2D(args: KernelArgs<Conv2DInputs, Conv2DAttrs>) {
  const { x, filter } = args.inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    strides, dilations, pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat));
  if (!allFloat32(args.backend, x, filter) || !nativeConvInfo(info)) return cpuFallback(Conv2D, args);
  const y = alloc(args.backend, sizeOf(info.outShape));
  nn().conv2dForward(f32(args.backend, x), f32(args.backend, filter), null, y, conv2dGeometry(info), Activation.linear);
  return output(args.backend, info.outShape, y);
}

export const conv2DConfig = kernel(Conv2D, conv2D);

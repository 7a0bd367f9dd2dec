import * as tf from '@tensorflow/tfjs-core';
import { FusedConv2D, type FusedConv2DAttrs, type FusedConv2DInputs } from '@tensorflow/tfjs-core';

import { fusedActivation, vectorBias } from './fused_common';
import { nn } from './native';
import { alloc, allFloat32, conv2dGeometry, cpuFallback, f32, kernel, nativeConvInfo, output, sizeOf, type KernelArgs } from './util';

export function fusedConv2D(args: KernelArgs<FusedConv2DInputs, FusedConv2DAttrs>) {
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    strides, dilations, pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat));
  const activation = fusedActivation(args.attrs.activation);
  if (
    !allFloat32(args.backend, x, filter, bias) || !nativeConvInfo(info) || activation === null || preluActivationWeights ||
    (bias && !vectorBias(bias, info.outChannels))
  ) {
    return cpuFallback(FusedConv2D, args);
  }
  const y = alloc(args.backend, sizeOf(info.outShape));
  const b = bias ? f32(args.backend, bias) : null;
  nn().conv2dForward(f32(args.backend, x), f32(args.backend, filter), b, y, conv2dGeometry(info), activation);
  return output(args.backend, info.outShape, y);
}

export const fusedConv2DConfig = kernel(FusedConv2D, fusedConv2D);

// The gradient of Conv2DBackpropFilter (dW = conv_backprop_filter(x, dy)), which tfjs-core does
// not define: double backprop through a convolution (GraSP's Hessian-gradient product) needs it.
// dW is bilinear in x and dy, so given an upstream ddW: dx = conv_transpose(dy, ddW) and
// ddy = conv2d(x, ddW), with the forward convolution's strides and padding (TensorFlow's
// _Conv2DBackpropFilterGrad).
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, GradConfig, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';

type Padding = 'valid' | 'same' | number;

export const conv2DBackpropFilterGradConfig: GradConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, dy] = saved as Tensor4D[];
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter gradient: only NHWC is supported, got ${dataFormat}`);
    const filter = ddw as Tensor4D;
    const inputShape = x.shape as [number, number, number, number];
    return {
      x: () => tf.conv2dTranspose(dy, filter, inputShape, strides, pad as Padding, dimRoundingMode),
      dy: () => tf.conv2d(x, filter, strides, pad as Padding, 'NHWC', 1, dimRoundingMode),
    };
  },
};

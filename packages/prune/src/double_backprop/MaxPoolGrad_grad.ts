// The gradient of MaxPoolGrad (dx = dy routed to each window's first strict maximum), which
// tfjs-core does not define: double backprop through a max pool needs it. dx is linear in dy,
// so given an upstream ddx the gradient for dy gathers ddx at each window's maximum (found by
// maxPoolWithArgmax, with the same "first strict maximum" rule as MaxPoolGrad on the cpu and
// kdlts backends); the maximum's position is piecewise constant in the input, whose gradient is 0.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, MaxPoolGradAttrs, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';

type Padding = 'valid' | 'same' | number;

export const maxPoolGradGradConfig: GradConfig = {
  kernelName: tf.MaxPoolGrad,
  inputsToSave: ['input', 'output'],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [input, output] = saved as Tensor4D[];
    const { filterSize, strides, pad } = attrs as unknown as MaxPoolGradAttrs;
    return {
      dy: () =>
        tf.tidy(() => {
          const { indexes } = tf.maxPoolWithArgmax(input, filterSize, strides, pad as Padding, true);
          return tf.reshape(tf.gather(tf.reshape(ddx as Tensor, [-1]), tf.reshape(indexes, [-1])), output.shape);
        }),
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};

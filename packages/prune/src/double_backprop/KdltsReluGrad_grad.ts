// The gradient of @kdlts/backend's fused ReLU gradient kernel (dx = dy * step(x), one kernel on
// the kdlts backend): linear in dy, piecewise constant in x. So given ddx: ddy = ddx * step(x),
// dx = 0. Double backprop through a ReLU on the kdlts backend needs it. The kernel's name is
// @kdlts/backend's (ops/relu_grad.ts, not exported); this config belongs there in time.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';

export const KDLTS_RELU_GRAD = 'KdltsReluGrad';

export const kdltsReluGradGradConfig: GradConfig = {
  kernelName: KDLTS_RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved;
    return {
      dy: () => tf.mul(ddx as Tensor, tf.cast(tf.step(x), 'float32')),
      x: () => tf.zerosLike(x),
    };
  },
};

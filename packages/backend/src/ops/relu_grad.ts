// ReLU's gradient as one kernel on the kdlts backend. tfjs computes it as mul(dy, cast(step(x)))
// (two full-size passes and two outputs); the native binary op RELU_GRAD computes exactly that
// in one. The replacement gradient keeps tfjs's formula on every other backend.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { BinaryOp, nnBinding } from '@kdlts/native';

import { BACKEND_NAME } from '../backend';
import { alloc, f32, kernel, output, sizeOf, type KernelArgs } from '../kernels/util';

export const RELU_GRAD = 'KdltsReluGrad';

function reluGrad({ inputs, backend }: KernelArgs<{ dy: TensorInfo; x: TensorInfo }>): TensorInfo {
  const { dy, x } = inputs;
  const out = alloc(backend, sizeOf(x.shape));
  nnBinding!.binary(BinaryOp.reluGrad, f32(backend, dy), dy.shape, f32(backend, x), x.shape, out, x.shape);
  return output(backend, x.shape, out);
}

let registered = false;

export function registerReluGrad(): boolean {
  if (registered) return true;
  if (!nnBinding) return false;
  tf.registerKernel(kernel(RELU_GRAD, reluGrad));
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
      const [x] = saved;
      const d = dy as Tensor;
      const fused = tf.getBackend() === BACKEND_NAME && x.dtype === 'float32' && d.dtype === 'float32' && tf.util.arraysEqual(d.shape, x.shape);
      return {
        x: () => (fused ? (tf.engine().runKernel(RELU_GRAD, { dy: d, x }) as Tensor) : tf.mul(d, tf.cast(tf.step(x), 'float32'))),
      };
    },
  });
  registered = true;
  return true;
}

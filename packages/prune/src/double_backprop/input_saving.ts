// Gradients of Exp, Tanh and Sigmoid that read the op's INPUT instead of its output. tfjs's own
// configs (outputsToSave) read a copy of the output that the engine saves while the kernel runs,
// before the op's own tape node exists; the tape therefore cannot link that copy back to the
// input, and a second derivative through these ops silently loses the terms that flow through
// it (e.g. d/dz of exp(z) * dy). Recomputing the output from the saved input keeps the chain
// whole, at the cost of one more elementwise op in the backward pass. Used only while a double
// backprop runs (withDoubleBackpropGradients): training keeps tfjs's cheaper configs.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';

export const expFromInputGradConfig: GradConfig = {
  kernelName: tf.Exp,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved;
    return { x: () => tf.mul(dy as Tensor, tf.exp(x)) };
  },
};

export const tanhFromInputGradConfig: GradConfig = {
  kernelName: tf.Tanh,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved;
    return { x: () => tf.mul(tf.sub(1, tf.square(tf.tanh(x))), dy as Tensor) };
  },
};

export const sigmoidFromInputGradConfig: GradConfig = {
  kernelName: tf.Sigmoid,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved;
    return {
      x: () => {
        const y = tf.sigmoid(x);
        return tf.mul(dy as Tensor, tf.mul(y, tf.sub(1, y)));
      },
    };
  },
};

export const INPUT_SAVING_GRADIENTS: readonly GradConfig[] = [expFromInputGradConfig, tanhFromInputGradConfig, sigmoidFromInputGradConfig];

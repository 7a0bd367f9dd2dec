// What a gradient of a gradient (GraSP's Hessian-gradient product) needs from tfjs beyond what it
// ships: gradients for backward kernels that have none (convolution filter gradient, max-pool
// gradient, @kdlts/backend's fused ReLU gradient: registered once, only where none exists), and,
// while the double backprop runs, gradients of Exp / Tanh / Sigmoid that the tape can follow a
// second time (input_saving.ts). One config per kernel.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';

import { conv2DBackpropFilterGradConfig } from './Conv2DBackpropFilter_grad';
import { INPUT_SAVING_GRADIENTS } from './input_saving';
import { kdltsReluGradGradConfig } from './KdltsReluGrad_grad';
import { maxPoolGradGradConfig } from './MaxPoolGrad_grad';

/** Gradients of backward kernels that tfjs leaves undefined. */
export const MISSING_GRADIENTS: readonly GradConfig[] = [conv2DBackpropFilterGradConfig, maxPoolGradGradConfig, kdltsReluGradGradConfig];

export { INPUT_SAVING_GRADIENTS };

/** Registers MISSING_GRADIENTS whose kernels have no gradient yet; idempotent. */
export function registerMissingGradients(): void {
  for (const config of MISSING_GRADIENTS) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
}

function replaceGradient(config: GradConfig): void {
  if (tf.getGradient(config.kernelName) !== undefined) tf.unregisterGradient(config.kernelName);
  tf.registerGradient(config);
}

/**
 * Runs fn (synchronous: nothing else can run while the replacements are in place) with every
 * gradient a double backprop needs, then puts tfjs's own Exp / Tanh / Sigmoid gradients back.
 */
export function withDoubleBackpropGradients<T>(fn: () => T): T {
  registerMissingGradients();
  const originals = INPUT_SAVING_GRADIENTS.map((c) => tf.getGradient(c.kernelName));
  INPUT_SAVING_GRADIENTS.forEach(replaceGradient);
  try {
    return fn();
  } finally {
    INPUT_SAVING_GRADIENTS.forEach((c, i) => {
      tf.unregisterGradient(c.kernelName);
      if (originals[i] !== undefined) tf.registerGradient(originals[i]);
    });
  }
}

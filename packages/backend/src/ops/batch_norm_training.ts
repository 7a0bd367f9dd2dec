// Training-mode batch normalisation over the last axis (optionally followed by a ReLU) as ONE
// kernel each way, where tfjs composes moments + batchNorm (+ relu) forward and ~30 full-size
// elementwise ops backward. On the
// kdlts backend with the native core: two passes forward, two backward. Elsewhere: tfjs's own
// composition, with the same results up to float rounding.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { nnBinding } from '@kdlts/native';

import { BACKEND_NAME } from '../backend';
import { alloc, f32, kernel, output, sizeOf, type KernelArgs } from '../kernels/util';

export const BATCH_NORM_TRAIN = 'KdltsBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'KdltsBatchNormTrainGrad';

export interface BatchNormTrainingResult {
  /** The normalised, scaled and shifted x. */
  y: Tensor;
  /** The batch mean and biased variance per channel (length = x's last dimension). */
  mean: Tensor;
  variance: Tensor;
}

interface TrainInputs {
  x: TensorInfo;
  scale: TensorInfo;
  offset: TensorInfo;
}
interface TrainAttrs {
  epsilon: number;
  /** A ReLU fused after the normalisation. */
  relu: boolean;
}

function channelsOf(x: TensorInfo): number {
  return x.shape[x.shape.length - 1];
}

function forward({ inputs, backend, attrs }: KernelArgs<TrainInputs, TrainAttrs>): TensorInfo[] {
  const { x, scale, offset } = inputs;
  const channels = channelsOf(x);
  const y = alloc(backend, sizeOf(x.shape));
  const mean = alloc(backend, channels);
  const variance = alloc(backend, channels);
  nnBinding!.batchNormTrainForward(f32(backend, x), f32(backend, offset), f32(backend, scale), y, mean, variance, channels, attrs.epsilon, attrs.relu);
  return [output(backend, x.shape, y), output(backend, [channels], mean), output(backend, [channels], variance)];
}

interface GradInputs {
  x: TensorInfo;
  /** The forward's output (read only with the fused ReLU). */
  y: TensorInfo;
  dy: TensorInfo;
  mean: TensorInfo;
  variance: TensorInfo;
  scale: TensorInfo;
}

function backward({ inputs, backend, attrs }: KernelArgs<GradInputs, TrainAttrs>): TensorInfo[] {
  const { x, y, dy, mean, variance, scale } = inputs;
  const channels = channelsOf(x);
  const dx = alloc(backend, sizeOf(x.shape));
  const doffset = alloc(backend, channels);
  const dscale = alloc(backend, channels);
  nnBinding!.batchNormTrainBackward(
    f32(backend, x), f32(backend, dy), f32(backend, mean), f32(backend, variance), f32(backend, scale),
    dx, doffset, dscale, channels, attrs.epsilon, attrs.relu ? f32(backend, y) : null);
  return [output(backend, x.shape, dx), output(backend, [channels], doffset), output(backend, [channels], dscale)];
}

const gradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [dy, dmean, dvariance] = dys as Tensor[];
    const [x, scale, y, mean, variance] = saved;
    const { epsilon, relu } = attrs as unknown as TrainAttrs;
    // Computed here, not inside the per-input closures: the tape runs each closure in its own
    // tidy, which would dispose the parts the other closures return.
    const [dxBatch, doffset, dscale] = tf.engine().runKernel(
      BATCH_NORM_TRAIN_GRAD, { x, y, dy, mean, variance, scale }, { epsilon, relu }) as Tensor[];
    return {
      x: () => {
        const dx = dxBatch;
        // The statistics are outputs too (moving averages read them); their gradients, when any
        // flows, add (dmean + 2 dvar (x - mean)) / rows to dx.
        if (!dmean || !dvariance || !(tf.any(tf.notEqual(tf.concat([dmean, dvariance]), 0)).dataSync()[0])) return dx;
        const rows = sizeOf(x.shape) / channelsOf(x);
        return tf.add(dx, tf.div(tf.add(dmean, tf.mul(tf.mul(dvariance, 2), tf.sub(x, mean))), rows));
      },
      offset: () => doffset,
      scale: () => dscale,
    };
  },
};

let registered = false;

/** Registers the fused kernels on the kdlts backend (when the native core has them). */
export function registerBatchNormTraining(): boolean {
  if (registered) return true;
  if (!nnBinding) return false;
  tf.registerKernel(kernel(BATCH_NORM_TRAIN, forward));
  tf.registerKernel(kernel(BATCH_NORM_TRAIN_GRAD, backward));
  tf.registerGradient(gradConfig);
  registered = true;
  return true;
}

function composed(x: Tensor, scale: Tensor, offset: Tensor, epsilon: number, relu: boolean): BatchNormTrainingResult {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.batchNorm(x, mean, variance, offset, scale, epsilon);
  return { y: relu ? tf.relu(y) : y, mean, variance };
}

/**
 * Batch normalisation in training mode over every axis but the last: batch statistics, then
 * scale * (x - mean) / sqrt(variance + epsilon) + offset, then (activation 'relu') a ReLU, all in
 * one kernel. Differentiable in x, scale and offset.
 */
export function batchNormTraining(
  x: Tensor,
  scale: Tensor,
  offset: Tensor,
  epsilon = 1e-3,
  activation: 'linear' | 'relu' = 'linear',
): BatchNormTrainingResult {
  const channels = channelsOf(x);
  if (x.rank < 2 || scale.size !== channels || offset.size !== channels) {
    throw new Error(`batchNormTraining: scale and offset need ${channels} values (x's last dimension), got ${scale.size} and ${offset.size}`);
  }
  const native =
    tf.getBackend() === BACKEND_NAME && x.dtype === 'float32' && x.size > 0 && tf.getKernel(BATCH_NORM_TRAIN, BACKEND_NAME) !== undefined;
  const relu = activation === 'relu';
  if (!native) return composed(x, scale, offset, epsilon, relu);
  const [y, mean, variance] = tf.engine().runKernel(
    BATCH_NORM_TRAIN,
    { x, scale: tf.reshape(scale, [channels]), offset: tf.reshape(offset, [channels]) },
    { epsilon, relu },
  ) as Tensor[];
  return { y, mean, variance };
}

// What the data-driven strategies share: batches as tensors, a cross-entropy that can be
// differentiated twice, and gradients of the loss with respect to the prunable weights.
// Every forward pass runs the model in inference mode (`training: false`): batch norm uses its
// moving statistics and no moving statistic changes (docs/pruning.md says why).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PrunableWeight } from '@kdlts/models';

import type { BatchSource, ScoringBatch } from './strategies/strategy';

/** The first `count` batches of the source; an error when it has fewer. */
export async function takeBatches(source: BatchSource, count: number, method: string): Promise<ScoringBatch[]> {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`${method}: batches must be a positive integer, got ${count}`);
  const taken: ScoringBatch[] = [];
  if (Symbol.asyncIterator in source) {
    for await (const b of source as AsyncIterable<ScoringBatch>) {
      taken.push(b);
      if (taken.length === count) break;
    }
  } else {
    for (const b of source as Iterable<ScoringBatch>) {
      taken.push(b);
      if (taken.length === count) break;
    }
  }
  if (taken.length < count) throw new Error(`${method}: needs ${count} batch(es), the data gave ${taken.length}`);
  return taken;
}

/** The model's input shape without the batch dimension, and its number of logits. */
export function modelShapes(model: tfl.LayersModel): { input: number[]; classes: number } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs (expected 1 and 1)`);
  }
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape;
  if (input.some((d) => d == null)) throw new Error(`model '${model.name}': its input shape ${JSON.stringify(model.inputs[0].shape)} is not fully known`);
  return { input: input as number[], classes: output[output.length - 1] as number };
}

/** A batch as (images reshaped to the model's input, one-hot labels). */
export function batchTensors(model: tfl.LayersModel, batch: ScoringBatch): { x: tf.Tensor; y: tf.Tensor2D } {
  const { input, classes } = modelShapes(model);
  const per = input.reduce((a, b) => a * b, 1);
  if (batch.images.length !== batch.size * per || batch.labels.length !== batch.size) {
    throw new Error(
      `a batch of ${batch.size} has ${batch.images.length} image values and ${batch.labels.length} labels; ` +
        `model '${model.name}' takes ${per} values per image ([${input.join(', ')}])`,
    );
  }
  const bad = batch.labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new Error(`label ${batch.labels[bad]} (sample ${bad}) is out of range for ${classes} classes`);
  return tf.tidy(() => ({
    x: tf.tensor(batch.images, [batch.size, ...input], 'float32'),
    y: tf.cast(tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes), 'float32') as tf.Tensor2D,
  }));
}

/**
 * Mean softmax cross-entropy, mean_i(logsumexp(z_i) - z_i . y_i), from primitive ops only:
 * tfjs's own (softmaxCrossEntropy, logSoftmax) use customGrad, whose backward pass reads
 * tensors the tape does not connect to the logits, so a second derivative through them would
 * silently drop the softmax's curvature. The max shift that keeps exp from overflowing is taken
 * as a constant (read back, off the tape): logsumexp does not depend on it.
 */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  const [rows, cols] = logits.shape;
  const values = logits.dataSync();
  const shift = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, values[r * cols + c]);
    shift[r] = Number.isFinite(m) ? m : 0;
  }
  const s = tf.tensor2d(shift, [rows, 1]);
  const logSumExp = tf.add(tf.log(tf.sum(tf.exp(tf.sub(logits, s)), 1, true)), s);
  return tf.mean(tf.sub(tf.reshape(logSumExp, [rows]), tf.sum(tf.mul(logits, oneHot), 1))) as tf.Scalar;
}

/** The loss of one batch: cross-entropy of the model's logits divided by `temperature`. */
export function batchLoss(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor2D, temperature = 1): tf.Scalar {
  const logits = model.apply(x, { training: false }) as tf.Tensor2D;
  return crossEntropy(temperature === 1 ? logits : tf.div(logits, temperature), y);
}

/** The prunable weights' tfjs variables, in prunable order. */
export function variablesOf(prunable: readonly PrunableWeight[]): tf.Variable[] {
  return prunable.map((p) => p.variable.read() as tf.Variable);
}

/**
 * Gradient of the loss with respect to every prunable weight, summed over the batches (one
 * tensor per weight, kept: the caller disposes). A weight the loss does not reach gets zeros.
 */
export function lossGradient(
  model: tfl.LayersModel,
  prunable: readonly PrunableWeight[],
  batches: readonly ScoringBatch[],
  temperature = 1,
): tf.Tensor[] {
  const vars = variablesOf(prunable);
  let sum: tf.Tensor[] = vars.map((v) => tf.zerosLike(v));
  for (const batch of batches) {
    const next = tf.tidy(() => {
      const { x, y } = batchTensors(model, batch);
      const { grads } = tf.variableGrads(() => batchLoss(model, x, y, temperature), vars);
      return sum.map((s, i) => (grads[vars[i].name] ? tf.add(s, grads[vars[i].name]) : tf.clone(s)));
    });
    tf.dispose(sum);
    sum = next;
  }
  return sum;
}

/** A tensor's values as a new Float32Array. */
export function valuesOf(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

// Evaluation: mean cross-entropy and accuracy of a model on a normalised dataset, in inference
// mode (batch norm uses its moving statistics), batch by batch.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '@kdlts/data';

export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
}

export function labelTensor(labels: Uint8Array): tf.Tensor1D {
  return tf.tensor1d(Int32Array.from(labels), 'int32');
}

/** Sum of cross-entropy and number of correct predictions of logits against int labels. */
export function lossAndCorrect(logits: tf.Tensor, labels: tf.Tensor1D, numClasses: number): { lossSum: number; correct: number } {
  const [lossSum, correct] = tf.tidy(() => {
    const onehot = tf.oneHot(labels, numClasses);
    const loss = tf.losses.softmaxCrossEntropy(onehot, logits, undefined, undefined, tf.Reduction.SUM);
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
    return [loss, hits];
  });
  const out = { lossSum: lossSum.dataSync()[0], correct: correct.dataSync()[0] };
  lossSum.dispose();
  correct.dispose();
  return out;
}

export function evaluate(model: tfl.LayersModel, ds: Dataset<Float32Array>, batchSize = 1000): Evaluation {
  const [h, w, c] = ds.shape;
  const per = h * w * c;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < ds.count; start += batchSize) {
    const n = Math.min(batchSize, ds.count - start);
    const x = tf.tensor4d(ds.images.subarray(start * per, (start + n) * per), [n, h, w, c]);
    const y = labelTensor(ds.labels.subarray(start, start + n));
    const logits = model.apply(x, { training: false }) as tf.Tensor;
    const r = lossAndCorrect(logits, y, ds.numClasses);
    lossSum += r.lossSum;
    correct += r.correct;
    tf.dispose([x, y, logits]);
  }
  return ds.count === 0 ? { loss: NaN, accuracy: NaN, count: 0 } : { loss: lossSum / ds.count, accuracy: correct / ds.count, count: ds.count };
}

// tfjs-layers' BatchNormalization, training through one fused kernel each way (batchNormTraining)
// when the input is normalised over its last axis with both scale and offset, which is how CNNs
// use it; any other configuration, inference, and other backends run tfjs-layers' own code.
// Same weights, same moving-average rule, same config: only the class name differs, so saved
// models load either way.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { batchNormTraining } from '../ops/batch_norm_training';

type LayerArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;

interface BatchNormalizationLike extends tfl.layers.Layer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

// tfjs-layers exports the factory, not the class.
const BatchNormalizationBase = Object.getPrototypeOf(tfl.layers.batchNormalization({})).constructor as new (
  args?: LayerArgs,
) => BatchNormalizationLike;

export class FusedBatchNormalization extends BatchNormalizationBase {
  static className = 'KdltsFusedBatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = this.axis === -1 || this.axis === x.rank - 1;
    if (!kwargs['training'] || !lastAxis || !this.center || !this.scale || x.rank < 2) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, this.gamma.read(), this.beta.read(), this.epsilon);
      // tfjs-layers' rule: moving -= (moving - batch) * (1 - momentum).
      for (const [variable, value] of [[this.movingMean, mean], [this.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - this.momentum)));
        });
      }
      return y;
    });
  }
}
tf.serialization.registerClass(FusedBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Drop-in for tfl.layers.batchNormalization with the fused training path. */
export function fusedBatchNormalization(args?: LayerArgs): tfl.layers.Layer {
  return new FusedBatchNormalization(args);
}

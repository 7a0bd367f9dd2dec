// tfjs-layers' BatchNormalization, training through one fused kernel each way (batchNormTraining)
// when the input is normalised over its last axis with both scale and offset, which is how CNNs
// use it; any other configuration, inference, and other backends run tfjs-layers' own code.
// Same weights, same moving-average rule, same config, plus an optional `activation: 'relu'`
// applied after the normalisation (fused into the same kernels: a ResNet's batch norm + ReLU
// pairs cost two passes each way instead of four).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { batchNormTraining } from '../ops/batch_norm_training';

type BaseArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
export type FusedBatchNormalizationArgs = BaseArgs & { activation?: 'linear' | 'relu' };
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
  args?: BaseArgs,
) => BatchNormalizationLike;

export class FusedBatchNormalization extends BatchNormalizationBase {
  static className = 'KdltsFusedBatchNormalization';
  readonly activation: 'linear' | 'relu';

  constructor(args: FusedBatchNormalizationArgs = {}) {
    const { activation = 'linear', ...base } = args;
    if (activation !== 'linear' && activation !== 'relu') {
      throw new Error(`FusedBatchNormalization: activation must be 'linear' or 'relu', got '${String(activation)}'`);
    }
    super(base);
    this.activation = activation;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = this.axis === -1 || this.axis === x.rank - 1;
    if (!kwargs['training'] || !lastAxis || !this.center || !this.scale || x.rank < 2) {
      const y = super.call(inputs, kwargs) as tf.Tensor;
      return this.activation === 'relu' ? tf.tidy(() => tf.relu(y)) : y;
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, this.gamma.read(), this.beta.read(), this.epsilon, this.activation);
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

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation };
  }
}
tf.serialization.registerClass(FusedBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Drop-in for tfl.layers.batchNormalization with the fused training path. */
export function fusedBatchNormalization(args?: FusedBatchNormalizationArgs): tfl.layers.Layer {
  return new FusedBatchNormalization(args);
}

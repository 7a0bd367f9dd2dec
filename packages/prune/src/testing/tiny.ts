// Test fixtures: tiny seeded networks built with tfjs-layers directly (so the strategies' results
// can be checked against independent computations in milliseconds) and seeded random batches.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '@kdlts/backend';
import { mulberry32 } from '@kdlts/data';
import { kernelWeights, type PrunableWeight } from '@kdlts/models';

import type { ScoringBatch } from '../strategies/strategy';

export interface TinyNet {
  model: tfl.LayersModel;
  prunable: PrunableWeight[];
}

export async function useKdltsBackend(): Promise<void> {
  const selection = await useBackend({ backend: 'kdlts' });
  if (selection.name !== 'kdlts') throw new Error(`expected the kdlts backend, got ${selection.name}`);
}

type Activation = 'linear' | 'relu' | 'tanh';

export interface DenseChainOptions {
  seed: number;
  /** Hidden layers' activation (the last layer is always linear: logits). Default 'tanh'. */
  activation?: Activation;
  useBias?: boolean;
  /** Initial weights' standard deviation is scale / sqrt(fan_in) (default 1). */
  scale?: number;
}

/** Dense layers fc1..fcL mapping [units[0]] to [units[L]]. */
export function denseChain(units: number[], options: DenseChainOptions): TinyNet {
  const { seed, activation = 'tanh', useBias = true, scale = 1 } = options;
  const input = tfl.input({ shape: [units[0]], name: 'input' });
  let x: tfl.SymbolicTensor = input;
  for (let i = 1; i < units.length; i++) {
    const layer = tfl.layers.dense({
      units: units[i],
      activation: i === units.length - 1 ? 'linear' : activation,
      useBias,
      kernelInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: scale / Math.sqrt(units[i - 1]), seed: seed * 101 + i }),
      biasInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 0.1, seed: seed * 103 + i }),
      name: `fc${i}`,
    });
    x = layer.apply(x) as tfl.SymbolicTensor;
  }
  const model = tfl.model({ inputs: input, outputs: x });
  return { model, prunable: kernelWeights(model) };
}

export interface TinyConvOptions {
  seed: number;
  activation?: Activation;
  /** Insert a batch norm after the convolution. */
  batchNorm?: boolean;
  inputShape?: [number, number, number];
  classes?: number;
}

/** conv 3x3 (4 filters, same) -> [batch norm] -> max pool 2 -> flatten -> dense logits. */
export function tinyConvNet(options: TinyConvOptions): TinyNet {
  const { seed, activation = 'tanh', batchNorm = false, inputShape = [6, 6, 2], classes = 3 } = options;
  const input = tfl.input({ shape: inputShape, name: 'input' });
  const init = (i: number, fanIn: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 1 / Math.sqrt(fanIn), seed: seed * 101 + i });
  let x = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: batchNorm ? 'linear' : activation, kernelInitializer: init(1, 9 * inputShape[2]), name: 'conv1' })
    .apply(input) as tfl.SymbolicTensor;
  if (batchNorm) {
    x = tfl.layers.batchNormalization({ name: 'bn1' }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.activation({ activation, name: 'act1' }).apply(x) as tfl.SymbolicTensor;
  }
  x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  const fanIn = (inputShape[0] / 2) * (inputShape[1] / 2) * 4;
  x = tfl.layers.dense({ units: classes, kernelInitializer: init(2, fanIn), name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: x });
  return { model, prunable: kernelWeights(model) };
}

/** Seeded batches of standard normal inputs (any shape) and uniform labels. */
export function randomBatches(count: number, size: number, shape: number[], classes: number, seed: number): ScoringBatch[] {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const per = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => ({
    images: Float32Array.from({ length: size * per }, gauss),
    labels: Uint8Array.from({ length: size }, () => rng.int(classes)),
    size,
  }));
}

/** A copy of every prunable weight's values. */
export function weightValues(prunable: readonly PrunableWeight[]): Float32Array[] {
  return prunable.map((p) => Float32Array.from(p.variable.read().dataSync() as Float32Array));
}

/** A copy of every weight of the model (kernels, biases, batch-norm parameters and statistics). */
export function allWeightValues(model: tfl.LayersModel): Float32Array[] {
  return model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
}

/** Overwrites the prunable weights with these values. */
export function setWeights(prunable: readonly PrunableWeight[], values: readonly Float32Array[]): void {
  prunable.forEach((p, i) => {
    tf.tidy(() => {
      p.variable.write(tf.tensor(values[i], p.shape, 'float32'));
    });
  });
}

/** The indices of the k largest values (ties: lower index first), computed by sorting: an oracle for topkMask. */
export function topkIndices(values: ArrayLike<number>, k: number): Set<number> {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  return new Set(order.slice(0, k));
}

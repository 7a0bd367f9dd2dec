// A model's weights by stable name (the layer-qualified original name, e.g. `fc1/kernel`, not the
// uniquified tf.Variable name): snapshot to plain arrays, restore, save to and load from a file.
// Used for checkpoints and for rewinding (θ0, θk) in lottery-ticket experiments.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { readBundle, writeBundle, type TensorBundle } from './tensor-file';

export interface NamedVariable {
  name: string;
  variable: tfl.LayerVariable;
  trainable: boolean;
}

/** Every weight of the model (trainable and not: batch-norm statistics too), by stable name. */
export function namedWeights(model: tfl.LayersModel): NamedVariable[] {
  const trainable = new Set(model.trainableWeights.map((w) => w.id));
  const seen = new Set<string>();
  return model.weights.map((variable) => {
    const name = variable.originalName;
    if (seen.has(name)) throw new Error(`model '${model.name}' has two weights named '${name}'`);
    seen.add(name);
    return { name, variable, trainable: trainable.has(variable.id) };
  });
}

/** A copy of every weight's values. */
export function snapshotWeights(model: tfl.LayersModel): TensorBundle {
  const out: TensorBundle = new Map();
  for (const { name, variable } of namedWeights(model)) {
    out.set(name, { shape: variable.shape.map(Number), values: variable.read().dataSync().slice() as Float32Array });
  }
  return out;
}

/**
 * Writes a snapshot back into the model. Every model weight must be in the snapshot with its shape
 * (extra entries are an error too), so a snapshot of another model cannot half-load.
 */
export function restoreWeights(model: tfl.LayersModel, snapshot: TensorBundle, source = 'snapshot'): void {
  const weights = namedWeights(model);
  const names = new Set(weights.map((w) => w.name));
  const extra = [...snapshot.keys()].filter((n) => !names.has(n));
  if (extra.length) throw new Error(`${source}: weights not in model '${model.name}': ${extra.join(', ')}`);
  for (const { name, variable } of weights) {
    const s = snapshot.get(name);
    if (s === undefined) throw new Error(`${source}: no values for weight '${name}' of model '${model.name}'`);
    if (!tf.util.arraysEqual(s.shape, variable.shape.map(Number))) {
      throw new Error(`${source}: weight '${name}' has shape [${s.shape}], the model's is [${variable.shape}]`);
    }
  }
  for (const { name, variable } of weights) {
    const s = snapshot.get(name)!;
    tf.tidy(() => {
      variable.write(tf.tensor(s.values, s.shape, 'float32'));
    });
  }
}

export interface WeightsFileMeta {
  kind: 'weights';
  model: string;
  iteration?: number;
}

export async function saveWeights(model: tfl.LayersModel, file: string, meta: Omit<WeightsFileMeta, 'kind' | 'model'> = {}): Promise<void> {
  await writeBundle(file, snapshotWeights(model), { kind: 'weights', model: model.name, ...meta } satisfies WeightsFileMeta);
}

/** Loads a file written by saveWeights (or a checkpoint's model weights) into the model. */
export function loadWeights(model: tfl.LayersModel, file: string): WeightsFileMeta {
  const { meta, tensors } = readBundle<WeightsFileMeta>(file);
  restoreWeights(model, tensors, file);
  return meta;
}

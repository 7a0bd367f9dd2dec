// The model registry: name -> ModelSpec. Adding a model = one file exporting a ModelSpec + one
// line in MODELS.
import type * as tfl from '@tensorflow/tfjs-layers';

import { conv2 } from './conv2';
import { conv4 } from './conv4';
import { conv6 } from './conv6';
import { lenet300 } from './lenet300';
import { resnet20 } from './resnet20';
import type { BuildOptions, ModelSpec } from './types';
import { vgg16 } from './vgg16';

export const MODELS = {
  lenet300,
  conv2,
  conv4,
  conv6,
  resnet20,
  vgg16,
} as const satisfies Record<string, ModelSpec>;

export type ModelName = keyof typeof MODELS;

export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

export function isModelName(name: string): name is ModelName {
  return Object.prototype.hasOwnProperty.call(MODELS, name);
}

export function getModelSpec(name: string): ModelSpec {
  if (!isModelName(name)) throw new Error(`unknown model '${name}' (known: ${MODEL_NAMES.join(', ')})`);
  return MODELS[name];
}

/** Builds a fresh model (new variables on the current tfjs backend); the caller disposes it. */
export function buildModel(name: string, options: BuildOptions): tfl.LayersModel {
  return getModelSpec(name).build(options);
}

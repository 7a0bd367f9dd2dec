// What every model file exports: a ModelSpec. Models output logits (no softmax): losses and
// distillation take logits.
import type * as tfl from '@tensorflow/tfjs-layers';

export interface BuildOptions {
  /** Same seed, same initial weights (bitwise); every layer's initializer gets its own derived seed. */
  seed: number;
  /** Input shape without the batch dimension, channels last (NHWC); default: the spec's defaultInputShape. */
  inputShape?: number[];
  /** Width of the logits layer; default 10. */
  numClasses?: number;
}

export interface ModelSpec {
  name: string;
  description: string;
  /** Channels-last input shape used when BuildOptions.inputShape is not given. */
  defaultInputShape: number[];
  build(options: BuildOptions): tfl.LayersModel;
  /**
   * Names of the layers whose outputs distillation reads (feature taps), shallow to deep. The
   * names do not depend on BuildOptions; buildWithTaps (taps.ts) turns them into model outputs.
   */
  taps: string[];
  /** The weights pruning acts on: conv and dense kernels only (no biases, no batch norm), in model order. */
  prunableWeights(model: tfl.LayersModel): PrunableWeight[];
}

/** One prunable weight tensor of a built model. */
export interface PrunableWeight {
  /** `<layer name>/kernel` (stable across builds, unlike the variable's uniquified name). */
  name: string;
  variable: tfl.LayerVariable;
  shape: number[];
}

/** Layer.apply on one symbolic tensor, typed as such (tfjs-layers types it as a union). */
export function call(layer: tfl.layers.Layer, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  return layer.apply(x) as tfl.SymbolicTensor;
}

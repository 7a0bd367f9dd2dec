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
  /**
   * Width multiplier (default 1, exactly the published network): every hidden layer's units or
   * filters become max(1, round(base * width)). The input and the logits layer keep their widths.
   * Models that do not support it say so in their file.
   */
  width?: number;
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

/**
 * The layer-width function for BuildOptions.width: base -> max(1, round(base * width)). Throws a
 * RangeError unless width is a positive finite number.
 */
export function widthScaler(width = 1): (base: number) => number {
  if (!(Number.isFinite(width) && width > 0)) {
    throw new RangeError(`width must be a positive finite number, got ${width}`);
  }
  return (base) => Math.max(1, Math.round(base * width));
}

/** Layer.apply on one symbolic tensor, typed as such (tfjs-layers types it as a union). */
export function call(layer: tfl.layers.Layer, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  return layer.apply(x) as tfl.SymbolicTensor;
}

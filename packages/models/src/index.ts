export { MODELS, MODEL_NAMES, buildModel, getModelSpec, isModelName, type ModelName } from './registry';
export type { BuildOptions, ModelSpec, PrunableWeight } from './types';
export { buildWithTaps, type ModelWithTaps } from './taps';
export { kernelWeights } from './prunable';
export { ShortcutA, type ShortcutAArgs } from './shortcut';
export { deriveSeed } from './seed';
export { countParams } from './params';

export { MODELS, MODEL_NAMES, buildModel, getModelSpec, isModelName, type ModelName } from './registry';
export type { BuildOptions, ModelSpec } from './types';
export { ShortcutA, type ShortcutAArgs } from './shortcut';
export { deriveSeed } from './seed';
export { countParams } from './params';

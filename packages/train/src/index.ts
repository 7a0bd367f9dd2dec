// @kdlts/train: masked training of tfjs models with resumable, atomic run directories.
export { train, TrainingAborted, RESULT_FILE, LOG_FILE, FINAL_WEIGHTS_FILE, type TrainOptions } from './train';
export type { EpochRecord, TrainConfig, TrainData, TrainEvent, TrainResult } from './types';
export { MaskedSgd, validateSgdConfig, type SgdConfig, type SgdParam } from './sgd';
export { learningRate, validateSchedule, type LrSchedule, type ScheduleConfig } from './schedule';
export { evaluate, type Evaluation } from './evaluate';
export { applyMaskTensors, maskDensity, maskTensors, type WeightMask } from './mask';
export { loadWeights, namedWeights, restoreWeights, saveWeights, snapshotWeights, type NamedVariable } from './weights';
export { CHECKPOINT_FILE } from './checkpoint';
export { decodeBundle, encodeBundle, readBundle, writeBundle, type NamedArray, type TensorBundle } from './tensor-file';
export { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from './atomic';
export { isInteractive, jsonLinesReporter, progressBarReporter, stepProgressBar, type EventSink } from './reporters';
export { presetToConfig, trainPreset, type TrainPreset } from './presets';
export { epochOrder, prepare, resolveStats, trainBatch, type PreparedBatch } from './batches';

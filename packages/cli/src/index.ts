// @kdlts/cli: the `kdlts` command line as a library (createProgram, main) for embedding and tests.
export { createProgram, main } from './program';
export { processIo, type CliIo } from './io';
export { canonicalJson, nonDefault, runDirectory, settingsHash } from './run-dir';
export { readMaskFile, resolveTrainSettings, runTrain, summaryTable, type TrainCliOptions, type TrainRun } from './commands/train';
export { methodArg, resolvePruneSettings, runPrune, PRUNE_MASK_FILE, PRUNE_REPORT_FILE, type PruneCliOptions, type PruneRunReport } from './commands/prune';
export { resolveImpSettings, roundsTable, runImpCommand, type ImpCliOptions } from './commands/imp';
export {
  addModelDataOptions, addRunOptions, addTrainingOptions, configFrom, trainProgress,
  type ModelDataCliOptions, type RunCliOptions, type TrainingCliOptions,
} from './training';
export { fixed, formatTable, percent, type Align } from './table';
export { scoringBatchesOf } from './data';

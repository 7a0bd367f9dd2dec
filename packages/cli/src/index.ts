// @kdlts/cli: the `kdlts` command line as a library (createProgram, main) for embedding and tests.
export { createProgram, main } from './program';
export { processIo, type CliIo } from './io';
export { canonicalJson, nonDefault, runDirectory, settingsHash } from './run-dir';
export { resolveTrainSettings, runTrain, summaryTable, type TrainCliOptions, type TrainRun } from './commands/train';
export { fixed, formatTable, percent, type Align } from './table';

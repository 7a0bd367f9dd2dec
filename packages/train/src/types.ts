// The training loop's configuration, events and result.
import type { ChannelStats, Dataset } from '@kdlts/data';

import type { ScheduleConfig } from './schedule';
import type { SgdConfig } from './sgd';

export interface TrainConfig extends SgdConfig {
  /** Base learning rate. */
  lr: number;
  /** Default constant. Step milestones are in iterations (see `milestonesFromEpochs`). */
  schedule?: ScheduleConfig;
  /** Linear warm-up iterations (default 0). */
  warmupIterations?: number;
  batchSize: number;
  /** Length of the run: epochs, or iterations (optimizer steps); exactly one of them. */
  epochs?: number;
  iterations?: number;
  /** Data order and augmentation seed (default 0). Model init is the caller's (build with a seed). */
  seed?: number;
  /** Random crop (4-pixel padding) + horizontal flip per training batch (default false). */
  augment?: boolean;
  /** Drop the last partial batch of an epoch (default false). */
  dropLast?: boolean;
  /** Evaluate on the test split every this many epochs and after the last (default 1). */
  evalEvery?: number;
  /** Batch size of evaluation (default 1000). */
  evalBatchSize?: number;
}

export interface TrainData {
  train: Dataset;
  test?: Dataset;
  /**
   * Per-channel normalisation applied to every batch (pixels scaled to 0..1 first when Uint8).
   * Default: the train split's own statistics for Uint8 images, none for Float32 images.
   */
  stats?: ChannelStats;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Optimizer steps done so far. */
  iteration: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  /** Absent when the epoch was not evaluated. */
  testLoss?: number;
  testAccuracy?: number;
  /** Seconds of training steps in this epoch (evaluation excluded). */
  trainSeconds: number;
  evalSeconds: number;
}

export interface TrainResult {
  completed: true;
  fingerprint: string;
  epochs: number;
  iterations: number;
  history: EpochRecord[];
  /** Test accuracy after the last epoch (NaN without a test split). */
  finalAccuracy: number;
  /** Best test accuracy over evaluated epochs, and its epoch. */
  bestAccuracy: number;
  bestEpoch: number;
  /** Seconds of training steps / evaluation over the whole run (across resumes). */
  trainSeconds: number;
  evalSeconds: number;
  /** Training images per second of step time. */
  imagesPerSecond: number;
  /** Density of the prunable weights under the mask (1 without one). */
  density: number;
  /** Epochs restored from a checkpoint at the last start (0 when the run started fresh). */
  resumedFromEpoch: number;
}

export type TrainEvent =
  | { type: 'start'; fingerprint: string; totalIterations: number; iterationsPerEpoch: number; epochs: number; resumedFromEpoch: number }
  | { type: 'iteration'; iteration: number; epoch: number; loss: number; lr: number; totalIterations: number }
  | ({ type: 'epoch'; totalEpochs: number } & EpochRecord)
  | { type: 'checkpoint'; epoch: number; iteration: number; file: string }
  | { type: 'weights-saved'; iteration: number; file: string }
  | { type: 'done'; result: TrainResult };

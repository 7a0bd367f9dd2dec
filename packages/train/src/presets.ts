// Default training hyperparameters per model (open_lth's role for "default hparams"): what
// `kdlts train` uses for every option the user does not give. SGD throughout; the CIFAR nets
// follow open_lth (batch 128, lr 0.1, momentum 0.9, weight decay 1e-4, 160 epochs, x0.1 at 80/120),
// the small nets use settings that train them well on Fashion-MNIST in a few epochs.
import type { TrainConfig } from './types';

export interface TrainPreset {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  schedule: 'constant' | 'step' | 'cosine';
  /** For the step schedule: epochs at which the rate is multiplied by gamma. */
  milestoneEpochs: number[];
  gamma: number;
  warmupEpochs: number;
}

const cifarNet: TrainPreset = {
  lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 1e-4, batchSize: 128, epochs: 160,
  schedule: 'step', milestoneEpochs: [80, 120], gamma: 0.1, warmupEpochs: 0,
};

const convNet: TrainPreset = {
  lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 1e-4, batchSize: 60, epochs: 10,
  schedule: 'cosine', milestoneEpochs: [], gamma: 0.1, warmupEpochs: 0,
};

const PRESETS: Record<string, TrainPreset> = {
  lenet300: {
    lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 1e-4, batchSize: 128, epochs: 20,
    schedule: 'cosine', milestoneEpochs: [], gamma: 0.1, warmupEpochs: 0,
  },
  conv2: convNet,
  conv4: convNet,
  conv6: convNet,
  resnet20: cifarNet,
  vgg16: cifarNet,
};

/** The preset of a model (a copy); unknown names get the small conv nets' settings. */
export function trainPreset(model: string): TrainPreset {
  const p = PRESETS[model] ?? convNet;
  return { ...p, milestoneEpochs: [...p.milestoneEpochs] };
}

/** A preset (possibly edited) as a TrainConfig for a dataset with `iterationsPerEpoch` batches. */
export function presetToConfig(p: TrainPreset, iterationsPerEpoch: number): TrainConfig {
  return {
    lr: p.lr, momentum: p.momentum, nesterov: p.nesterov, weightDecay: p.weightDecay, batchSize: p.batchSize, epochs: p.epochs,
    schedule:
      p.schedule === 'step'
        ? { type: 'step', milestones: p.milestoneEpochs.map((e) => e * iterationsPerEpoch), gamma: p.gamma }
        : { type: p.schedule },
    warmupIterations: Math.round(p.warmupEpochs * iterationsPerEpoch),
  };
}

// A small convnet, a synthetic separable data set and an SGD-momentum training loop, shared by
// the training-curve test (cpu vs kdlts) and the memory test (thousands of kdlts steps).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { useBackend } from './harness';
import { Rng } from './random';

export interface ModelConfig {
  /** Square single-channel images of this side. */
  side: number;
  /** Filters of the two convolutions. */
  filters: [number, number];
  classes: number;
  seed: number;
}

/**
 * conv3x3(relu) -> conv3x3 -> batchNorm -> relu -> maxPool2 -> flatten -> dense: Conv2D /
 * FusedConv2D, both convolution gradients (the second conv's input gradient), FusedBatchNorm in
 * training mode, MaxPool / MaxPoolGrad (with ReLU's zeros as ties), _FusedMatMul, and the
 * elementwise / reduction kernels of softmax cross-entropy and the optimizer.
 */
export function buildModel(cfg: ModelConfig): tfl.LayersModel {
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: cfg.seed + k });
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({
    inputShape: [cfg.side, cfg.side, 1], filters: cfg.filters[0], kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1),
  }));
  model.add(tfl.layers.conv2d({ filters: cfg.filters[1], kernelSize: 3, padding: 'same', kernelInitializer: init(2) }));
  model.add(tfl.layers.batchNormalization({ axis: -1 }));
  model.add(tfl.layers.reLU());
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: cfg.classes, kernelInitializer: init(3) }));
  return model;
}

export interface Dataset {
  x: Float32Array;
  labels: Int32Array;
  count: number;
  side: number;
  classes: number;
}

/**
 * Each class is a fixed random +-1 8x8 pattern (drawn from the seed); a sample is its class's
 * pattern times a random contrast in [0.5, 1.5] plus N(0, 0.8^2) noise: separable, not trivially.
 */
export function makeDataset(count: number, side: number, classes: number, seed: number, noise = 0.8, contrast: [number, number] = [0.5, 1.5]): Dataset {
  const rng = new Rng(seed);
  const pixels = side * side;
  const prototypes = Array.from({ length: classes }, () => Float32Array.from({ length: pixels }, () => (rng.next() < 0.5 ? -1 : 1)));
  const x = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    labels[i] = c;
    const gain = rng.uniform(contrast[0], contrast[1]);
    for (let p = 0; p < pixels; p++) x[i * pixels + p] = gain * prototypes[c][p] + rng.normal(0, noise);
  }
  return { x, labels, count, side, classes };
}

/** The sample indices of every step's batch: a seeded reshuffle each epoch. */
export function batchOrder(count: number, batch: number, steps: number, seed: number): Int32Array[] {
  const rng = new Rng(seed);
  const out: Int32Array[] = [];
  let perm: number[] = [];
  for (let s = 0; s < steps; s++) {
    if (perm.length < batch) {
      const fresh = [...Array(count).keys()];
      for (let i = fresh.length - 1; i > 0; i--) {
        const j = rng.int(0, i + 1);
        [fresh[i], fresh[j]] = [fresh[j], fresh[i]];
      }
      perm = fresh;
    }
    out.push(Int32Array.from(perm.splice(0, batch)));
  }
  return out;
}

export function batchTensors(data: Dataset, indices: Int32Array): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const pixels = data.side * data.side;
  const xb = new Float32Array(indices.length * pixels);
  const yb = new Float32Array(indices.length * data.classes);
  indices.forEach((idx, r) => {
    xb.set(data.x.subarray(idx * pixels, (idx + 1) * pixels), r * pixels);
    yb[r * data.classes + data.labels[idx]] = 1;
  });
  return {
    xs: tf.tensor4d(xb, [indices.length, data.side, data.side, 1]),
    ys: tf.tensor2d(yb, [indices.length, data.classes]),
  };
}

/** The model's initial weights as plain arrays (to start every backend from the same point). */
export async function initialWeights(cfg: ModelConfig): Promise<Array<{ shape: number[]; values: Float32Array }>> {
  await useBackend('cpu');
  const model = buildModel(cfg);
  const weights = model.getWeights().map((w) => ({ shape: w.shape.slice(), values: (w.dataSync() as Float32Array).slice() }));
  model.dispose();
  return weights;
}

export interface Trainer {
  model: tfl.LayersModel;
  /** One SGD-momentum step on the batch; returns the loss before the update. */
  step(indices: Int32Array): number;
  dispose(): void;
}

/** A model on the active backend, set to `weights`, with its optimizer. */
export function makeTrainer(cfg: ModelConfig, weights: Array<{ shape: number[]; values: Float32Array }>, data: Dataset, lr = 0.05): Trainer {
  const model = buildModel(cfg);
  const ws = weights.map((w) => tf.tensor(w.values.slice(), w.shape));
  model.setWeights(ws);
  tf.dispose(ws);
  const optimizer = tf.train.momentum(lr, 0.9);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    model,
    step(indices) {
      const { xs, ys } = batchTensors(data, indices);
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
        vars,
      )!;
      const value = loss.dataSync()[0];
      tf.dispose([loss, xs, ys]);
      return value;
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** Classification accuracy of the model (inference mode) on the whole data set. */
export function accuracy(model: tfl.LayersModel, data: Dataset): number {
  return tf.tidy(() => {
    const { xs, ys } = batchTensors(data, Int32Array.from(data.labels.keys()));
    const logits = model.predict(xs) as tf.Tensor;
    const right = tf.sum(tf.equal(tf.argMax(logits, 1), tf.argMax(ys, 1))).dataSync()[0];
    return right / data.count;
  });
}

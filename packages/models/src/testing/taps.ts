// Test helpers shared by the model tests: feature taps, prunable weights, tap-model logits.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import type { ModelWithTaps } from '../taps';
import type { ModelSpec } from '../types';

const bits = (t: tf.Tensor) => {
  const a = t.dataSync() as Float32Array;
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
};

/** The spec's taps are existing layers with these output shapes, and tapModel outputs them in order. */
export function expectTaps(spec: ModelSpec, { model, tapModel, taps }: ModelWithTaps, shapes: number[][]): void {
  expect(taps).toEqual(spec.taps);
  expect(taps).toHaveLength(shapes.length);
  taps.forEach((name, i) => expect(model.getLayer(name).outputShape).toEqual([null, ...shapes[i]]));
  expect(tapModel.outputs.map((o) => o.shape)).toEqual([model.outputs[0].shape, ...shapes.map((s) => [null, ...s])]);
  // the same layers (and so the same variables), not copies
  for (const name of taps) expect(tapModel.getLayer(name)).toBe(model.getLayer(name));
  expect(tapModel.weights.map((w) => w.id)).toEqual(model.weights.map((w) => w.id));
}

/** prunableWeights lists exactly the conv and dense kernels: these layers, in order, with this many scalars. */
export function expectPrunable(spec: ModelSpec, model: tfl.LayersModel, layers: string[], total: number): void {
  const pw = spec.prunableWeights(model);
  expect(pw.map((w) => w.name)).toEqual(layers.map((l) => `${l}/kernel`));
  // every Conv2D/Dense kernel in the model, nothing else (no bias, no batch norm)
  const kernels = model.weights.filter((w) => /\/kernel$/.test(w.originalName));
  expect(pw.map((w) => w.variable.id)).toEqual(kernels.map((w) => w.id));
  for (const w of pw) {
    expect(w.shape).toEqual(w.variable.shape);
    expect(w.variable.trainable).toBe(true);
    expect(model.getLayer(w.name.replace(/\/kernel$/, '')).getClassName()).toMatch(/^(Conv2D|Dense)$/);
  }
  expect(pw.reduce((s, w) => s + w.shape.reduce((p, d) => p * d, 1), 0)).toBe(total);
}

/** tapModel's first output is bitwise the plain model's logits; the other outputs are finite features. */
export function expectTapLogits({ model, tapModel }: ModelWithTaps, inputShape: number[], batch = 2): void {
  tf.tidy(() => {
    const x = tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', 7);
    const y = model.predict(x) as tf.Tensor;
    const outs = tapModel.predict(x) as tf.Tensor[];
    expect(outs).toHaveLength(tapModel.outputs.length);
    expect(outs[0].shape).toEqual(y.shape);
    expect(Array.from(bits(outs[0]))).toEqual(Array.from(bits(y)));
    outs.forEach((o, i) => {
      expect(o.shape).toEqual([batch, ...(tapModel.outputs[i].shape.slice(1) as number[])]);
      expect(Array.from(o.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
}

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { BACKEND_NAME, FusedBatchNormalization, fusedBatchNormalization, registerKdltsBackend } from '../index';

// The fused layer against tfjs-layers' BatchNormalization with the same weights: training
// outputs, gradients of every weight and the moving statistics after a step agree to 2e-5
// relative (float64 statistics in a different order); inference is tfjs-layers' own path.
const TOLERANCE = 2e-5;

function closeTo(actual: Float32Array, expected: Float32Array, what: string) {
  let scale = 1e-30, err = 0;
  for (let i = 0; i < expected.length; ++i) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
  }
  if (!(err / scale <= TOLERANCE)) throw new Error(`${what}: relative error ${err / scale}`);
}

function build(layer: tfl.layers.Layer, seed: number) {
  const input = tfl.input({ shape: [5, 5, 3] });
  // No conv bias: batch norm cancels it, its gradient is rounding noise around 0.
  const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
  const out = layer.apply(conv.apply(input) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

async function step(backend: string, fused: boolean, activation: 'linear' | 'relu' = 'linear') {
  await tf.setBackend(backend);
  const args = { axis: -1, momentum: 0.9, epsilon: 1e-5, gammaInitializer: 'randomNormal' as const };
  const plain = (): tfl.layers.Layer => {
    const bn = tfl.layers.batchNormalization(args);
    if (activation === 'linear') return bn;
    // tfjs-layers' own batch norm followed by its ReLU, as one layer for build().
    return { apply: (t: tfl.SymbolicTensor) => tfl.layers.activation({ activation: 'relu' }).apply(bn.apply(t)) } as unknown as tfl.layers.Layer;
  };
  const model = build(fused ? fusedBatchNormalization({ ...args, activation }) : plain(), 7);
  // Same weights for both layer kinds: set deterministically.
  // Weights: conv kernel, gamma, beta, moving mean, moving variance (gamma and variance around 1).
  const around = (i: number) => (i === 1 || i === 4 ? 1 : 0);
  model.setWeights(model.getWeights().map((w, i) => tf.tidy(() => tf.add(tf.mul(tf.randomUniform(w.shape, -1, 1, 'float32', 11 + i), 0.5), around(i)))));
  const x = tf.randomNormal([6, 5, 5, 3], 0, 1, 'float32', 3);
  const target = tf.randomNormal([6, 5, 5, 4], 0, 1, 'float32', 4);
  const trainable = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar, trainable);
  const result = {
    loss: value.dataSync() as Float32Array,
    grads: trainable.map((v) => grads[v.name].dataSync() as Float32Array),
    weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
    inference: (model.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array,
  };
  return result;
}

describe('FusedBatchNormalization', () => {
  registerKdltsBackend();

  it.each(['linear', 'relu'] as const)('trains like tfjs-layers BatchNormalization (+ its ReLU) with activation %s', async (activation) => {
    const expected = await step('cpu', false, activation);
    for (const [backend, fused] of [[BACKEND_NAME, true], ['cpu', true], [BACKEND_NAME, false]] as const) {
      const actual = await step(backend, fused, activation);
      closeTo(actual.loss, expected.loss, `${backend}/${fused} loss`);
      actual.grads.forEach((g, i) => closeTo(g, expected.grads[i], `${backend}/${fused} grad ${i}`));
      actual.weights.forEach((w, i) => closeTo(w, expected.weights[i], `${backend}/${fused} weight ${i} after the step`));
      closeTo(actual.inference, expected.inference, `${backend}/${fused} inference`);
    }
  });

  it('serialises under its own class name with tfjs-layers BatchNormalization config', () => {
    const layer = fusedBatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    expect(layer.getClassName()).toBe('KdltsFusedBatchNormalization');
    expect(layer).toBeInstanceOf(FusedBatchNormalization);
    expect(layer.getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5, axis: -1, activation: 'linear' });
    expect(() => fusedBatchNormalization({ activation: 'elu' as 'relu' })).toThrow(/activation must be 'linear' or 'relu'/);
  });
});

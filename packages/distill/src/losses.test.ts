import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';

import { distillationLoss, featureLoss, normalizeRows, relationLoss, responseLoss, softTargets } from './losses';

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

const softmax = (z: number[], t: number) => {
  const e = z.map((v) => Math.exp(v / t));
  const s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
};

describe('losses against hand-computed values', () => {
  test('normalizeRows: unit rows, an all-zero row stays zero, and its gradient is finite (0, not NaN)', () => {
    const x = tf.tensor2d([[3, 4], [0, 0]]);
    expect(Array.from(normalizeRows(x).dataSync())).toEqual(Array.from(Float32Array.of(0.6, 0.8, 0, 0)));
    // A sparse mask can switch off every feature of a sample: the loss's gradient must stay finite.
    const target = tf.tensor2d([[1, 0], [0, 1]]);
    const g = tf.grad((f: tf.Tensor) => featureLoss([f], [target]))(x).arraySync() as number[][];
    expect(g[1].map(Math.abs)).toEqual([0, 0]);
    expect(g.flat().every(Number.isFinite)).toBe(true);
  });

  test('softTargets averages the teachers\' softened probabilities', () => {
    const t1 = [[1, 2, 3], [0, 0, 0]];
    const t2 = [[3, 2, 1], [4, 0, -4]];
    const p = softTargets([tf.tensor2d(t1), tf.tensor2d(t2)], 2).arraySync();
    for (let b = 0; b < 2; b++) {
      const want = softmax(t1[b], 2).map((v, k) => (v + softmax(t2[b], 2)[k]) / 2);
      want.forEach((v, k) => expect(p[b][k]).toBeCloseTo(v, 6));
    }
    expect(() => softTargets([], 2)).toThrow(/no logits/);
    expect(() => softTargets([tf.zeros([1, 2])], 0)).toThrow(/temperature must be > 0/);
  });

  test('responseLoss = τ² · mean_b KL(p_T ‖ softmax(s/τ)), with p_T = 0 terms contributing 0', () => {
    const s = [[0.5, -1, 2], [1, 1, 1]];
    const pT = [[0.2, 0.3, 0.5], [1, 0, 0]];
    const tau = 3;
    let kl = 0;
    for (let b = 0; b < 2; b++) {
      const q = softmax(s[b], tau);
      for (let k = 0; k < 3; k++) if (pT[b][k] > 0) kl += pT[b][k] * Math.log(pT[b][k] / q[k]);
    }
    expect(responseLoss(tf.tensor2d(s), tf.tensor2d(pT), tau).dataSync()[0]).toBeCloseTo((tau * tau * kl) / 2, 5);
    // identical distributions: zero
    expect(responseLoss(tf.tensor2d(s), softTargets([tf.tensor2d(s)], tau), tau).dataSync()[0]).toBeCloseTo(0, 6);
  });

  test('featureLoss = Σ_l mean_b ‖f_b/|f_b| − target_b‖²', () => {
    const f = [[3, 4], [0, 2]];
    const target = [[1, 0], [0, 1]];
    // sample 0: (0.6, 0.8) - (1, 0) -> 0.16 + 0.64 = 0.8; sample 1: (0, 1) - (0, 1) -> 0
    const loss = featureLoss([tf.tensor2d(f), tf.tensor3d([[[1]], [[1]]])], [tf.tensor2d(target), tf.tensor2d([[1], [1]])]);
    expect(loss.dataSync()[0]).toBeCloseTo(0.8 / 2 + 0, 6);
    expect(() => featureLoss([tf.zeros([1, 2])], [])).toThrow(/1 student taps, 0 teacher targets/);
  });

  test('relationLoss = Σ_l ‖G_S − G_T‖²_F / B²', () => {
    const f = [[1, 0], [1, 1]]; // normalised rows (1,0), (1,1)/√2: G = [[1, c], [c, 1]], c = 1/√2
    const c = Math.SQRT1_2;
    const gT = tf.tensor3d([[[1, 0], [0, 1]]]);
    expect(relationLoss([tf.tensor2d(f)], gT).dataSync()[0]).toBeCloseTo((2 * c * c) / 4, 6);
    expect(() => relationLoss([tf.tensor2d(f)], tf.zeros([2, 2, 2]) as tf.Tensor3D)).toThrow(/teacher Grams \[2,2,2\] for 1 taps/);
  });

  test('distillationLoss weights and sums the terms; the gradient flows to the student', () => {
    const logits = tf.variable(tf.tensor2d([[0.1, 0.2, -0.3], [1, 0, 0]]));
    const feat = tf.variable(tf.tensor2d([[1, 2, 3], [3, 1, 0]]));
    const targets = {
      probs: softTargets([tf.tensor2d([[1, 0, 0], [0, 0, 1]])], 4),
      tau: 4,
      features: [normalizeRows(tf.tensor2d([[1, 1, 1], [1, 0, 1]]))],
      grams: tf.tensor3d([[[1, 0.5], [0.5, 1]]]),
    };
    const labels = tf.tensor1d([0, 2], 'int32');
    const parts = distillationLoss({ logits, features: [feat] }, targets, { alpha: 2, beta: 3, gamma: 5, ce: 0.5 }, labels);
    const r = responseLoss(logits, targets.probs, 4).dataSync()[0];
    const fl = featureLoss([feat], targets.features).dataSync()[0];
    const rl = relationLoss([feat], targets.grams).dataSync()[0];
    const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), logits).dataSync()[0];
    expect(parts.response.dataSync()[0]).toBeCloseTo(2 * r, 5);
    expect(parts.feature.dataSync()[0]).toBeCloseTo(3 * fl, 5);
    expect(parts.relation.dataSync()[0]).toBeCloseTo(5 * rl, 5);
    expect(parts.ce.dataSync()[0]).toBeCloseTo(0.5 * ce, 5);
    expect(parts.total.dataSync()[0]).toBeCloseTo(2 * r + 3 * fl + 5 * rl + 0.5 * ce, 4);
    const { grads } = tf.variableGrads(() => distillationLoss({ logits, features: [feat] }, targets, {}, labels).total, [logits, feat]);
    for (const g of Object.values(grads)) expect(Array.from(g.dataSync()).some((v) => v !== 0)).toBe(true);
    expect(() => distillationLoss({ logits, features: [feat] }, targets, { tau: 2 })).toThrow(/temperature 4, the loss asks for 2/);
    expect(() => distillationLoss({ logits, features: [feat] }, targets, { beta: -1 })).toThrow(/loss weight beta/);
    expect(() => distillationLoss({ logits, features: [feat] }, targets, { ce: 1 })).toThrow(/needs labels/);
  });
});

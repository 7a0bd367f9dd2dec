import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';
import { buildWithTaps } from '@kdlts/models';

import { gramMatrices } from './gram';
import { normalizeRows, softTargets } from './losses';
import { disposeTargets, teacherTargets } from './teacher_info';

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

test('teacher targets: averaged soft targets, normalised features and Grams of every tap (one batched call)', () => {
  const teachers = [1, 2, 3].map((seed) => buildWithTaps('conv2', { seed, inputShape: [8, 8, 1] }));
  const x = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 7);
  const before = tf.memory().numTensors;
  const t = teacherTargets(teachers.map((m) => m.tapModel), x, 4);
  expect(tf.memory().numTensors - before).toBe(2 + teachers[0].taps.length); // probs, grams, one feature per tap
  // Independent reference: each teacher on its own, averaged.
  const outs = teachers.map((m) => m.tapModel.apply(x, { training: false }) as tf.Tensor[]);
  const probs = softTargets(outs.map((o) => o[0]), 4);
  expect(maxAbsDiff(t.probs, probs)).toBeLessThan(1e-6);
  const taps = teachers[0].taps.length;
  for (let l = 0; l < taps; l++) {
    const meanFeat = tf.div(tf.addN(outs.map((o) => normalizeRows(o[l + 1]))), 3);
    expect(maxAbsDiff(t.features[l], meanFeat)).toBeLessThan(1e-6);
    const meanGram = tf.div(tf.addN(outs.map((o) => tf.squeeze(gramMatrices([o[l + 1]]), [0]))), 3);
    const ours = tf.reshape(tf.slice(t.grams, [l, 0, 0], [1, 6, 6]), [6, 6]);
    expect(maxAbsDiff(ours, meanGram)).toBeLessThan(1e-5);
  }
  disposeTargets(t);
  expect(() => teacherTargets([], x, 4)).toThrow(/no teachers/);
  expect(() => teacherTargets([teachers[0].model], x, 4)).toThrow(/no tap outputs/);
});

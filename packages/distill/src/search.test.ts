import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';
import { syntheticDataset, type Dataset } from '@kdlts/data';
import { buildWithTaps, kernelWeights, type ModelWithTaps } from '@kdlts/models';
import { prepare, restoreWeights, snapshotWeights } from '@kdlts/train';

import { distillationLoss } from './losses';
import { resolveSearchConfig, searchMask, type SearchConfig } from './search';
import { disposeTargets, teacherTargets } from './teacher_info';
import { trainTeachers, type Teacher } from './teachers';

// A small task: LeNet-300-100 on synthetic 28x28 data, two teachers trained for one epoch from θ0.
let data: Dataset<Float32Array>;
let teachers: Teacher[];
let student: ModelWithTaps;

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
  const train = syntheticDataset({ count: 600, seed: 4, sampleSeed: 8 });
  data = prepare(train, { mean: [0.5], std: [0.25] });
  teachers = await trainTeachers({
    model: 'lenet300', modelSeed: 1, count: 2, data: { train: data },
    config: { lr: 0.05, momentum: 0.9, batchSize: 50, epochs: 1 },
  });
  student = buildWithTaps('lenet300', { seed: 1 });
});

afterAll(() => {
  teachers.forEach((t) => t.model.dispose());
  student.model.dispose();
});

const search = (config: Partial<SearchConfig>, onStep?: Parameters<typeof searchMask>[0]['onStep']) =>
  searchMask({
    student: student.tapModel, model: student.model, prunable: kernelWeights(student.model),
    teachers: teachers.map((t) => t.tapModel), data, onStep,
    config: { sparsity: 0.9, steps: 24, batchSize: 50, ...config },
  });

/** Distillation loss of the student with W = θ0 ⊙ mask on a fixed batch (weights restored after). */
function lossWithMask(mask: Map<string, Uint8Array>): number {
  const prunable = kernelWeights(student.model);
  const saved = snapshotWeights(student.model);
  const x = tf.tensor4d(data.images.subarray(0, 100 * 784), [100, 28, 28, 1]);
  const targets = teacherTargets(teachers.map((t) => t.tapModel), x, 4);
  for (const p of prunable) {
    const bits = mask.get(p.name)!;
    tf.tidy(() => {
      p.variable.write(tf.mul(p.variable.read(), tf.tensor(Float32Array.from(bits), p.shape)));
    });
  }
  const outs = student.tapModel.apply(x, { training: true }) as tf.Tensor[];
  const parts = distillationLoss({ logits: outs[0], features: outs.slice(1) }, targets);
  const loss = parts.total.dataSync()[0];
  tf.dispose([x, ...outs, ...Object.values(parts)]);
  disposeTargets(targets);
  restoreWeights(student.model, saved);
  return loss;
}

describe('KD-LTS search', () => {
  test('after every step Σs = k and s ∈ [0,1]; the final mask has exactly k ones; weights are restored', async () => {
    const before = snapshotWeights(student.model);
    let steps = 0;
    const r = await search({}, (st) => {
      let sum = 0;
      for (let i = 0; i < st.scores.length; i++) {
        const v = st.scores[i];
        if (!(v >= 0 && v <= 1)) throw new Error(`s[${i}] = ${v} at step ${st.step}`);
        sum += v;
      }
      // The projection solves Σs = k in double precision; rounding its outputs to float32 moves each of the
      // n values in [0,1] then moves by at most half an ulp of 1 (2^-24): |Σs - k| <= n 2^-24.
      expect(Math.abs(sum - r0k)).toBeLessThanOrEqual(st.scores.length * 2 ** -24);
      steps++;
    });
    expect(steps).toBe(24);
    expect(r.k).toBe(r0k);
    let ones = 0;
    for (const bits of r.mask.values()) for (const b of bits) ones += b;
    expect(ones).toBe(r.k);
    expect(r.history.every((h) => h.straightThrough)).toBe(true); // the default: the binary mask from the first step
    const after = snapshotWeights(student.model);
    for (const [name, v] of before) expect(Buffer.from(after.get(name)!.values.buffer).equals(Buffer.from(v.values.buffer))).toBe(true);
  });
  const r0k = Math.round(0.1 * (784 * 300 + 300 * 100 + 100 * 10));

  test('layerwise: every layer keeps exactly its own share', async () => {
    const r = await search({ layerwise: true, steps: 6 });
    for (const p of kernelWeights(student.model)) {
      const bits = r.mask.get(p.name)!;
      const kept = bits.reduce((a, b) => a + b, 0);
      expect(kept).toBe(Math.round(0.1 * bits.length));
    }
  });

  test('deterministic: the same seed gives the same mask', async () => {
    const a = await search({ steps: 8, seed: 3 });
    const b = await search({ steps: 8, seed: 3 });
    for (const [name, bits] of a.mask) expect(Buffer.from(b.mask.get(name)!).equals(Buffer.from(bits))).toBe(true);
  });

  test('the search lowers the distillation loss: its mask beats its own starting point and a random mask', async () => {
    const r = await search({ steps: 60, straightThroughFrom: 0.8 });
    const first = r.history.slice(0, 5).reduce((a, h) => a + h.loss, 0) / 5;
    const relaxed = r.history.filter((h) => !h.straightThrough);
    const last = relaxed.slice(-5).reduce((a, h) => a + h.loss, 0) / 5;
    expect(last).toBeLessThan(first);
    // Against random masks of the same size (several seeds): the searched mask's loss is lower than every one.
    let state = 12345;
    const rnd = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    const searched = lossWithMask(r.mask);
    for (let trial = 0; trial < 3; trial++) {
      const flat = Float64Array.from({ length: r.n }, rnd);
      const threshold = Float64Array.from(flat).sort().reverse()[r.k - 1];
      let o = 0;
      const random = new Map([...r.mask].map(([name, bits]) => [name, Uint8Array.from(bits, () => (flat[o++] >= threshold ? 1 : 0))]));
      expect(searched).toBeLessThan(lossWithMask(random));
    }
  });

  test('straightThroughFrom: the relaxed phase covers the steps before that fraction', async () => {
    const r = await search({ steps: 8, straightThroughFrom: 0.75 });
    expect(r.history.map((h) => h.straightThrough)).toEqual([false, false, false, false, false, false, true, true]);
  });

  test('by default (straight-through) the searched mask beats the magnitude mask it starts from', async () => {
    // 0 steps return the top-k of the projected initial scores: the magnitude mask at θ0.
    const start = await search({ steps: 0 });
    const r = await search({ steps: 40 });
    let changed = 0;
    for (const [name, bits] of r.mask) bits.forEach((b, i) => (changed += Number(b !== start.mask.get(name)![i])));
    expect(changed).toBeGreaterThan(0);
    expect(lossWithMask(r.mask)).toBeLessThan(lossWithMask(start.mask));
  });

  test('initial scores: layer-magnitude keeps each layer\'s largest |θ| in equal shares; magnitude ranks globally', async () => {
    const prunable = kernelWeights(student.model);
    const layered = await search({ steps: 0 });
    const global = await search({ steps: 0, init: 'magnitude' });
    for (const p of prunable) {
      const theta = p.variable.read().dataSync() as Float32Array;
      const bits = layered.mask.get(p.name)!;
      const kept = bits.reduce((a, b) => a + b, 0);
      // The same fraction of every layer, up to the rounding of one global k.
      expect(Math.abs(kept - 0.1 * bits.length)).toBeLessThanOrEqual(1);
      // Within a layer: the kept weights are the largest |θ|.
      let minKept = Infinity;
      let maxDropped = -Infinity;
      bits.forEach((b, i) => (b ? (minKept = Math.min(minKept, Math.abs(theta[i]))) : (maxDropped = Math.max(maxDropped, Math.abs(theta[i])))));
      expect(minKept).toBeGreaterThanOrEqual(maxDropped);
    }
    // Global ranks: one |θ| threshold over all layers.
    let minKept = Infinity;
    let maxDropped = -Infinity;
    for (const p of prunable) {
      const theta = p.variable.read().dataSync() as Float32Array;
      global.mask.get(p.name)!.forEach((b, i) => (b ? (minKept = Math.min(minKept, Math.abs(theta[i]))) : (maxDropped = Math.max(maxDropped, Math.abs(theta[i])))));
    }
    expect(minKept).toBeGreaterThanOrEqual(maxDropped);
  });

  test('resolveSearchConfig fills every default, the loss weights included', () => {
    expect(resolveSearchConfig({ sparsity: 0.5, weights: { beta: 0 } })).toEqual({
      sparsity: 0.5, steps: 200, batchSize: 128, lr: 0.01, straightThroughFrom: 0, init: 'layer-magnitude', layerwise: false, seed: 0,
      weights: { alpha: 1, beta: 0, gamma: 1, ce: 0, tau: 4 },
    });
  });

  test('bad settings are clear errors', async () => {
    await expect(search({ sparsity: 1 })).rejects.toThrow(/sparsity must be a finite number with 0 < sparsity < 1, got 1/);
    await expect(search({ sparsity: NaN })).rejects.toThrow(/got NaN/);
    await expect(search({ lr: 0 })).rejects.toThrow(/lr must be/);
    await expect(search({ init: 'x' as never })).rejects.toThrow(/init must be one of layer-magnitude, magnitude, uniform, got 'x'/);
    await expect(searchMask({ student: student.tapModel, prunable: [], teachers: [], data, config: { sparsity: 0.5 } })).rejects.toThrow(/no teachers/);
  });
});

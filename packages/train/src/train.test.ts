import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';
import { buildModel, kernelWeights } from '@kdlts/models';

import { randomMask, syntheticData, tinyResnet } from './testing/fixtures';
import { train, TrainingAborted, type TrainOptions } from './train';
import type { TrainEvent, TrainResult } from './types';
import { snapshotWeights } from './weights';

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-train-'));
const weightsEqual = (a: ReturnType<typeof snapshotWeights>, b: ReturnType<typeof snapshotWeights>) => {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, v] of a) expect(Buffer.from(b.get(k)!.values.buffer)).toEqual(Buffer.from(v.values.buffer));
};
const withoutTimes = (r: TrainResult) => ({
  ...r, trainSeconds: 0, evalSeconds: 0, imagesPerSecond: 0, resumedFromEpoch: 0,
  history: r.history.map((h) => ({ ...h, trainSeconds: 0, evalSeconds: 0 })),
});

const resnetData = syntheticData([8, 8, 3], 96, 40, 3);
const resnetConfig = {
  lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4, batchSize: 16, epochs: 3, seed: 5,
  augment: true, schedule: { type: 'cosine' as const }, warmupIterations: 3,
};

describe('train', () => {
  test('learns: LeNet-300-100 on synthetic data goes past 90% test accuracy in 3 epochs', async () => {
    const model = buildModel('lenet300', { seed: 1 });
    const r = await train({ model, data: syntheticData([28, 28, 1], 1000, 300), config: { lr: 0.05, momentum: 0.9, batchSize: 50, epochs: 3 } });
    expect(r.history).toHaveLength(3);
    expect(r.finalAccuracy).toBeGreaterThan(0.9);
    expect(r.history[2].trainLoss).toBeLessThan(r.history[0].trainLoss);
    expect(r.bestAccuracy).toBe(Math.max(...r.history.map((h) => h.testAccuracy!)));
    expect(r.history[r.bestEpoch - 1].testAccuracy).toBe(r.bestAccuracy);
    expect(r.iterations).toBe(60);
    expect(r.density).toBe(1);
    model.dispose();
  });

  test('masked weights are exactly zero after every step (BN net, Nesterov, weight decay, augmentation)', async () => {
    const model = tinyResnet(2);
    const mask = randomMask(model, 0.3, 9);
    const prunable = kernelWeights(model);
    const init = snapshotWeights(model);
    let checked = 0;
    const r = await train({
      model, data: resnetData, config: resnetConfig, mask, logEvery: 1,
      onEvent: (e) => {
        if (e.type !== 'iteration') return;
        for (const p of prunable) {
          const bits = mask.get(p.name)!;
          const w = p.variable.read().dataSync();
          for (let i = 0; i < bits.length; i++) if (bits[i] === 0 && w[i] !== 0) throw new Error(`${p.name}[${i}] = ${w[i]} at iteration ${e.iteration}`);
        }
        checked++;
      },
    });
    expect(checked).toBe(r.iterations);
    expect(r.density).toBeCloseTo(0.3, 1);
    // ... and the kept weights did train.
    for (const p of prunable) {
      const w = p.variable.read().dataSync();
      const w0 = init.get(p.name)!.values;
      const bits = mask.get(p.name)!;
      let moved = 0;
      for (let i = 0; i < bits.length; i++) if (bits[i] && w[i] !== w0[i]) moved++;
      expect(moved).toBeGreaterThan(0);
    }
    model.dispose();
  });

  test('same seed, same weights and losses bitwise; another data seed differs', async () => {
    const run = async (seed: number) => {
      const model = tinyResnet(4);
      const r = await train({ model, data: resnetData, config: { ...resnetConfig, epochs: 2, seed } });
      const w = snapshotWeights(model);
      model.dispose();
      return { r, w };
    };
    const a = await run(5);
    const b = await run(5);
    weightsEqual(a.w, b.w);
    expect(withoutTimes(b.r)).toEqual(withoutTimes(a.r));
    const c = await run(6);
    expect(c.r.history[0].trainLoss).not.toBe(a.r.history[0].trainLoss);
  });

  test('iterations: a run of 1.5 epochs stops mid-epoch and evaluates at the end', async () => {
    const model = buildModel('lenet300', { seed: 1 });
    const r = await train({ model, data: syntheticData([28, 28, 1], 100, 20), config: { lr: 0.01, batchSize: 10, iterations: 15, evalEvery: 5 } });
    expect(r.iterations).toBe(15);
    expect(r.history.map((h) => h.iteration)).toEqual([10, 15]);
    expect(r.history[0].testAccuracy).toBeUndefined(); // evalEvery 5: only the last epoch
    expect(r.history[1].testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.imagesPerSecond * r.trainSeconds).toBeCloseTo(150, 6); // 1 epoch of 100 + 5 batches of 10
    model.dispose();
  });

  test('weights saved at chosen iterations (rewind points) equal the weights at that step', async () => {
    const dir = tmp();
    const model = buildModel('lenet300', { seed: 1 });
    const mask = randomMask(model, 0.5, 1);
    const seen = new Map<number, ReturnType<typeof snapshotWeights>>();
    const events: TrainEvent[] = [];
    const r = await train({
      model, data: syntheticData([28, 28, 1], 100, 20), mask, outDir: dir,
      config: { lr: 0.01, batchSize: 10, epochs: 2 }, saveWeightsAt: [0, 7, 20],
      onWeights: (it, w) => seen.set(it, w), onEvent: (e) => events.push(e),
    });
    expect([...seen.keys()]).toEqual([0, 7, 20]);
    expect(fs.readdirSync(path.join(dir, 'weights')).sort()).toEqual(['iter-0.kdt', 'iter-20.kdt', 'iter-7.kdt']);
    // θ0 is the masked initialisation; the last one is the final model.
    const fresh = buildModel('lenet300', { seed: 1 });
    const k0 = seen.get(0)!.get('fc1/kernel')!.values;
    const init = fresh.getLayer('fc1').getWeights()[0].dataSync();
    const bits = mask.get('fc1/kernel')!;
    for (let i = 0; i < bits.length; i += 97) expect(k0[i] === (bits[i] ? init[i] : 0)).toBe(true); // masked: +0 or -0
    weightsEqual(seen.get(20)!, snapshotWeights(model));
    const { loadWeights } = await import('./weights');
    expect(loadWeights(fresh, path.join(dir, 'weights', 'iter-7.kdt')).iteration).toBe(7);
    weightsEqual(snapshotWeights(fresh), seen.get(7)!);
    expect(events.filter((e) => e.type === 'weights-saved')).toHaveLength(3);
    expect(r.iterations).toBe(20);
    tf.dispose([model, fresh] as never);
    fs.rmSync(dir, { recursive: true });
  });

  test('run directory: checkpoint, JSON-lines log, result.json; a repeated run finds its finished work', async () => {
    const dir = tmp();
    const data = syntheticData([28, 28, 1], 100, 20);
    const config = { lr: 0.01, batchSize: 10, epochs: 2 };
    const model = buildModel('lenet300', { seed: 1 });
    const r = await train({ model, data, config, outDir: dir, logEvery: 5 });
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.kdt', 'final.kdt', 'log.jsonl', 'result.json']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)));
    const log = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((e) => e.type)).toEqual(['start', 'iteration', 'iteration', 'epoch', 'checkpoint', 'iteration', 'iteration', 'epoch', 'checkpoint']);
    expect(log.every((e) => typeof e.time === 'string')).toBe(true);
    // Again: no training, same result, and the fresh model now holds the trained weights.
    const again = buildModel('lenet300', { seed: 1 });
    const events: string[] = [];
    const r2 = await train({ model: again, data, config, outDir: dir, onEvent: (e) => events.push(e.type) });
    expect(events).toEqual(['done']);
    expect(r2).toEqual(JSON.parse(JSON.stringify(r)));
    weightsEqual(snapshotWeights(again), snapshotWeights(model));
    // Other settings in the same directory: a clear error, nothing overwritten.
    fs.rmSync(path.join(dir, 'result.json'));
    await expect(train({ model: buildModel('lenet300', { seed: 1 }), data, config: { ...config, lr: 0.02 }, outDir: dir }))
      .rejects.toThrow(/checkpoint\.kdt: written by a run with other settings/);
    // ... unless asked to start fresh.
    const r3 = await train({ model: buildModel('lenet300', { seed: 1 }), data, config: { ...config, lr: 0.02 }, outDir: dir, fresh: true });
    expect(r3.fingerprint).not.toBe(r.fingerprint);
    fs.rmSync(dir, { recursive: true });
  });

  test('resume after an abort mid-epoch gives exactly the uninterrupted result', async () => {
    const full = tinyResnet(7);
    const mask = randomMask(full, 0.5, 3);
    const dirA = tmp();
    const a = await train({ model: full, data: resnetData, config: resnetConfig, mask, outDir: dirA });

    const dirB = tmp();
    const stop = new AbortController();
    const first = tinyResnet(7);
    await expect(train({
      model: first, data: resnetData, config: resnetConfig, mask, outDir: dirB, logEvery: 1,
      signal: stop.signal, onEvent: (e) => e.type === 'iteration' && e.iteration === 9 && stop.abort(),
    })).rejects.toBeInstanceOf(TrainingAborted);
    expect(fs.existsSync(path.join(dirB, 'result.json'))).toBe(false);
    const second = tinyResnet(7);
    const b = await train({ model: second, data: resnetData, config: resnetConfig, mask, outDir: dirB });
    expect(b.resumedFromEpoch).toBe(1); // 6 steps per epoch: aborted in epoch 2
    weightsEqual(snapshotWeights(second), snapshotWeights(full));
    expect(withoutTimes(b)).toEqual(withoutTimes(a));
    [full, first, second].forEach((m) => m.dispose());
    fs.rmSync(dirA, { recursive: true });
    fs.rmSync(dirB, { recursive: true });
  });

  test('bad settings, masks and data are clear errors', async () => {
    const model = buildModel('lenet300', { seed: 1 });
    const data = syntheticData([28, 28, 1], 20, 10);
    const base: TrainOptions = { model, data, config: { lr: 0.1, batchSize: 10, epochs: 1 } };
    const bad = (o: Omit<Partial<TrainOptions>, 'config'> & { config?: Partial<TrainOptions['config']> }) =>
      train({ ...base, ...o, config: { ...base.config, ...o.config } as TrainOptions['config'] });
    await expect(bad({ config: { iterations: 5 } })).rejects.toThrow(/exactly one of epochs and iterations/);
    await expect(bad({ config: { batchSize: 0 } })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    await expect(bad({ config: { epochs: 1.5 } })).rejects.toThrow(/epochs must be/);
    await expect(bad({ config: { lr: NaN } })).rejects.toThrow(/lr must be/);
    await expect(bad({ config: { momentum: 1.2 } })).rejects.toThrow(/momentum/);
    await expect(bad({ config: { seed: 0.5 } })).rejects.toThrow(/seed must be an integer/);
    await expect(bad({ saveWeightsAt: [3] })).rejects.toThrow(/saveWeightsAt needs outDir or onWeights/);
    await expect(bad({ mask: new Map([['nope/kernel', new Uint8Array(1)]]) })).rejects.toThrow(/'nope\/kernel' is not a prunable weight.*fc1\/kernel/);
    await expect(bad({ mask: new Map([['fc1/kernel', new Uint8Array(5)]]) })).rejects.toThrow(/'fc1\/kernel' has 5 values, the weight \[784,300\] has 235200/);
    await expect(bad({ mask: new Map([['logits/kernel', new Uint8Array(1000).fill(2)]]) })).rejects.toThrow(/holds 2 at index 0/);
    await expect(bad({ data: syntheticData([8, 8, 3], 20, 10) })).rejects.toThrow(/takes inputs \[28,28,1\], the data has images \[8,8,3\]/);
    await expect(bad({ data: { train: { ...data.train, count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) } } })).rejects.toThrow(/training split is empty/);
    model.dispose();
  });
});

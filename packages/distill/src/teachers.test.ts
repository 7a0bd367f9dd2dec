import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { useBackend } from '@kdlts/backend';
import { syntheticDataset } from '@kdlts/data';
import { buildModel } from '@kdlts/models';
import { snapshotWeights } from '@kdlts/train';

import { teacherSeeds, trainTeachers } from './teachers';

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

const data = { train: syntheticDataset({ count: 200, seed: 2 }), test: syntheticDataset({ count: 50, seed: 2, sampleSeed: 9 }) };
const config = { lr: 0.05, momentum: 0.9, batchSize: 50, epochs: 1, seed: 7 };

test('teachers start from θ0 with distinct data seeds (or distinct inits), and are resumable stages', async () => {
  expect([0, 1, 2].map((t) => teacherSeeds({ modelSeed: 5, config }, t))).toEqual([
    { modelSeed: 5, dataSeed: 1007 }, { modelSeed: 5, dataSeed: 2007 }, { modelSeed: 5, dataSeed: 3007 },
  ]);
  expect(teacherSeeds({ modelSeed: 5, config, independentInit: true }, 1).modelSeed).toBe(2005);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-teachers-'));
  const events: number[] = [];
  const teachers = await trainTeachers({ model: 'lenet300', modelSeed: 5, count: 2, data, config, outDir: dir, onEvent: (t, e) => e.type === 'start' && events.push(t) });
  expect(events).toEqual([0, 1]);
  expect(fs.readdirSync(dir).sort()).toEqual(['teacher-0', 'teacher-1']);
  // Same θ0, different data order: both trained, and they differ from each other and from θ0.
  const theta0 = snapshotWeights(buildModel('lenet300', { seed: 5 })).get('fc1/kernel')!.values;
  const w = teachers.map((t) => snapshotWeights(t.model).get('fc1/kernel')!.values);
  expect(Buffer.from(w[0].buffer).equals(Buffer.from(w[1].buffer))).toBe(false);
  expect(Buffer.from(w[0].buffer).equals(Buffer.from(theta0.buffer))).toBe(false);
  expect(teachers.every((t) => t.result.finalAccuracy > 0.5)).toBe(true);
  // Again: found finished, not retrained, same weights.
  const again = await trainTeachers({ model: 'lenet300', modelSeed: 5, count: 2, data, config, outDir: dir, onEvent: (t, e) => e.type === 'start' && events.push(t) });
  expect(events).toEqual([0, 1]);
  expect(Buffer.from(snapshotWeights(again[1].model).get('fc1/kernel')!.values.buffer).equals(Buffer.from(w[1].buffer))).toBe(true);
  [...teachers, ...again].forEach((t) => t.model.dispose());
  fs.rmSync(dir, { recursive: true });
  await expect(trainTeachers({ model: 'lenet300', modelSeed: 5, count: 0, data, config })).rejects.toThrow(/teacher count must be a positive integer, got 0/);
});

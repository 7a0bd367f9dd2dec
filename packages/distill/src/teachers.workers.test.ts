// Teachers trained in worker processes: bitwise the same as in process, events forwarded, finished
// runs found, and every failure (child error, child killed, abort) a rejection naming the teacher
// with no child process left behind.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { useBackend } from '@kdlts/backend';
import { syntheticDataset } from '@kdlts/data';
import { snapshotWeights, type TrainEvent, type TrainResult } from '@kdlts/train';

import { TeacherTrainingAborted } from './teacher_workers';
import { trainTeachers, type Teacher } from './teachers';

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

const data = { train: syntheticDataset({ count: 256, seed: 3 }), test: syntheticDataset({ count: 64, seed: 3, sampleSeed: 4 }) };
const config = { lr: 0.05, momentum: 0.9, batchSize: 64, epochs: 1, seed: 7 };
/** Long enough that a child is still training when the test kills it or aborts. */
const longConfig = { ...config, epochs: 200 };
const base = { model: 'lenet300', modelSeed: 5, data };

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-teachers-workers-test-'));

function childPids(): number[] {
  const r = spawnSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

function expectSameWeights(a: Teacher, b: Teacher): void {
  const wa = snapshotWeights(a.model);
  const wb = snapshotWeights(b.model);
  expect([...wb.keys()]).toEqual([...wa.keys()]);
  for (const [name, t] of wa) {
    const u = wb.get(name)!;
    expect({ name, same: Buffer.from(u.values.buffer, u.values.byteOffset, u.values.byteLength).equals(Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength)) }).toEqual({ name, same: true });
  }
}

const withoutTimes = (r: TrainResult) => ({
  ...r, trainSeconds: 0, evalSeconds: 0, imagesPerSecond: 0, history: r.history.map((h) => ({ ...h, trainSeconds: 0, evalSeconds: 0 })),
});

const tmpWorkerDirs = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('kdlts-teacher-workers-'));

test('workers: bitwise the teachers of the in-process path, events forwarded, finished runs found, temp dir removed', async () => {
  const [dirA, dirB] = [tempDir(), tempDir()];
  const inProcess = await trainTeachers({ ...base, count: 3, config, outDir: dirA });
  const events: Array<[number, TrainEvent['type']]> = [];
  const parallel = await trainTeachers({ ...base, count: 3, config, outDir: dirB, workers: 2, onEvent: (t, e) => events.push([t, e.type]) });

  for (let t = 0; t < 3; t++) {
    expect(parallel[t].index).toBe(t);
    expect(parallel[t].taps).toEqual(inProcess[t].taps);
    expectSameWeights(inProcess[t], parallel[t]);
    expect(withoutTimes(parallel[t].result)).toEqual(withoutTimes(inProcess[t].result));
    const final = (dir: string) => fs.readFileSync(path.join(dir, `teacher-${t}`, 'final.kdt'));
    expect(final(dirB).equals(final(dirA))).toBe(true);
    const own = events.filter(([i]) => i === t).map(([, type]) => type);
    expect(own[0]).toBe('start');
    expect(own).toContain('epoch');
    expect(own.at(-1)).toBe('done');
  }
  // Teacher weights differ from each other (distinct data seeds): the comparison above is not vacuous.
  const fc1 = (x: Teacher) => Buffer.from(snapshotWeights(x.model).get('fc1/kernel')!.values.buffer);
  expect(fc1(parallel[0]).equals(fc1(parallel[1]))).toBe(false);

  // Again in the same directory: found finished (no 'start', only 'done'), the same weights.
  const again: Array<[number, TrainEvent['type']]> = [];
  const found = await trainTeachers({ ...base, count: 3, config, outDir: dirB, workers: 2, onEvent: (t, e) => again.push([t, e.type]) });
  expect(again.sort()).toEqual([[0, 'done'], [1, 'done'], [2, 'done']]);
  found.forEach((t, i) => expectSameWeights(inProcess[i], t));

  // No outDir: the children train in a temporary directory, removed afterwards.
  const before = tmpWorkerDirs();
  const noDir = await trainTeachers({ ...base, count: 2, config, workers: 4 });
  noDir.forEach((t, i) => expectSameWeights(inProcess[i], t));
  expect(tmpWorkerDirs()).toEqual(before);

  [...inProcess, ...parallel, ...found, ...noDir].forEach((t) => t.model.dispose());
  fs.rmSync(dirA, { recursive: true });
  fs.rmSync(dirB, { recursive: true });
  await expect(trainTeachers({ ...base, count: 2, config, workers: 0 })).rejects.toThrow(/workers must be a positive integer, got 0/);
}, 120_000);

test("a child's error rejects with the teacher's name and the child's message", async () => {
  const before = childPids();
  await expect(trainTeachers({ ...base, model: 'no-such-model', count: 2, config, workers: 2 }))
    .rejects.toThrow(/^teacher [01]: unknown model 'no-such-model'/);
  expect(childPids()).toEqual(before);
}, 60_000);

test('a child killed by a signal rejects naming the teacher and the signal; the other child is killed too', async () => {
  const before = childPids();
  let killed = false;
  const run = trainTeachers({
    ...base, count: 3, config: longConfig, workers: 2,
    onEvent: (_t, e) => {
      if (killed || e.type !== 'start') return;
      killed = true;
      process.kill(childPids().filter((p) => !before.includes(p))[0], 'SIGKILL');
    },
  });
  await expect(run).rejects.toThrow(/^teacher [01]: worker process was killed by signal SIGKILL before finishing/);
  expect(childPids()).toEqual(before);
}, 60_000);

test('abort kills the children and rejects', async () => {
  const before = childPids();
  const controller = new AbortController();
  const run = trainTeachers({
    ...base, count: 2, config: longConfig, workers: 2, signal: controller.signal,
    onEvent: (_t, e) => e.type === 'start' && controller.abort(),
  });
  await expect(run).rejects.toBeInstanceOf(TeacherTrainingAborted);
  expect(childPids()).toEqual(before);
}, 60_000);

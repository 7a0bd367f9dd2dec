import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { useBackend } from '@kdlts/backend';
import { syntheticDataset } from '@kdlts/data';
import { buildModel } from '@kdlts/models';
import { keptCount, loadMask } from '@kdlts/prune';
import { readBundle, snapshotWeights } from '@kdlts/train';

import { KDLTS_REWIND_FILE, KDLTS_SUMMARY_FILE, runKdlts, type KdltsEvent, type KdltsRequest } from './kdlts';

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

const data = { train: syntheticDataset({ count: 200, seed: 2 }), test: syntheticDataset({ count: 50, seed: 2, sampleSeed: 9 }) };
const request = (over: Partial<KdltsRequest> = {}): KdltsRequest => ({
  model: 'lenet300', modelSeed: 3, data, sparsity: 0.9, teachers: 2, teacherEpochs: 1,
  config: { lr: 0.05, momentum: 0.9, batchSize: 50, epochs: 1, seed: 4 }, search: { steps: 8, batchSize: 50 }, ...over,
});
const n = 784 * 300 + 300 * 100 + 100 * 10;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-run-'));

test('runKdlts: teachers, search and ticket as stages; a repeated run finds every stage done', async () => {
  const dir = tmp();
  const events: KdltsEvent[] = [];
  const first = await runKdlts(request({ outDir: dir, onEvent: (e) => events.push(e) }));
  expect(first.mask.count()).toBe(keptCount(n, 0.9));
  expect(fs.readdirSync(dir).sort()).toEqual(['kdlts.json', 'mask.kmask', 'search.json', 'teachers', 'ticket']);
  expect(loadMask(path.join(dir, 'mask.kmask')).mask.equals(first.mask)).toBe(true);
  const s = first.summary;
  expect(s.timeToTicketSeconds).toBeCloseTo(s.teachers.seconds + s.search.seconds, 10);
  // 2 teachers × 1 epoch + 8 search steps of 50 over 200 images.
  expect(s.epochEquivalents).toBeCloseTo(2 + (8 * 50) / 200, 10);
  expect(s.teachers.finalAccuracies).toHaveLength(2);
  expect(s.ticket!.iterations).toBe(4);
  expect(events.filter((e) => e.type === 'search-step')).toHaveLength(8);
  expect(events.filter((e) => e.type === 'teacher' && e.event.type === 'start').map((e) => (e as { teacher: number }).teacher)).toEqual([0, 1]);

  const again: KdltsEvent[] = [];
  const second = await runKdlts(request({ outDir: dir, onEvent: (e) => again.push(e) }));
  expect(again.some((e) => (e.type === 'teacher' || e.type === 'ticket') && e.event.type === 'start')).toBe(false);
  expect(again.find((e) => e.type === 'search-done')).toMatchObject({ skipped: true });
  expect(second.mask.equals(first.mask)).toBe(true);
  expect(second.summary.ticket).toEqual(s.ticket);
  expect(JSON.parse(fs.readFileSync(path.join(dir, KDLTS_SUMMARY_FILE), 'utf8'))).toEqual(second.summary);

  // The defaults spelled out are the same run (the fingerprint covers the resolved search settings) ...
  const spelled = await runKdlts(request({ outDir: dir, search: { ...request().search, lr: 0.01, straightThroughFrom: 0, init: 'layer-magnitude', weights: { alpha: 1 } } }));
  expect(spelled.mask.equals(first.mask)).toBe(true);
  // ... the same directory with other settings is refused, naming the file.
  await expect(runKdlts(request({ outDir: dir, sparsity: 0.8 }))).rejects.toThrow(/search\.json: written by a KD-LTS run with other settings/);
  await expect(runKdlts(request({ outDir: dir, search: { ...request().search, straightThroughFrom: 0.5 } }))).rejects.toThrow(/other settings/);
  fs.rmSync(dir, { recursive: true });
}, 60_000);

test('runKdlts is deterministic for a seed, and the seed matters', async () => {
  const a = await runKdlts(request({ trainTicket: false }));
  const b = await runKdlts(request({ trainTicket: false }));
  const c = await runKdlts(request({ trainTicket: false, modelSeed: 4 }));
  expect(a.mask.equals(b.mask)).toBe(true);
  expect(a.mask.equals(c.mask)).toBe(false);
  expect(a.summary.ticket).toBeUndefined();
}, 60_000);

test('the early-ticket variant searches at θ_t, teacher 0\'s weights after t steps, and keeps them', async () => {
  const dir = tmp();
  const { summary } = await runKdlts(request({ outDir: dir, rewindIteration: 2, trainTicket: false }));
  expect(summary.rewindIteration).toBe(2);
  const rewind = readBundle(path.join(dir, KDLTS_REWIND_FILE)).tensors;
  const theta0 = snapshotWeights(buildModel('lenet300', { seed: 3 }));
  // θ_t is teacher 0's snapshot at step 2: the file teacher 0's run wrote, bitwise; not θ0.
  const teacherSnapshot = readBundle(path.join(dir, 'teachers', 'teacher-0', 'weights', 'iter-2.kdt')).tensors;
  const bytes = (a: Float32Array | Int32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  for (const [name, t] of rewind) {
    expect(bytes(t.values).equals(bytes(teacherSnapshot.get(name)!.values))).toBe(true);
  }
  expect(bytes(rewind.get('fc1/kernel')!.values).equals(bytes(theta0.get('fc1/kernel')!.values))).toBe(false);
  fs.rmSync(dir, { recursive: true });
}, 60_000);

test('invalid requests are refused with the argument named', async () => {
  await expect(runKdlts(request({ teachers: 0 }))).rejects.toThrow('teachers must be a positive integer, got 0');
  await expect(runKdlts(request({ teacherEpochs: 1.5 }))).rejects.toThrow('teacherEpochs must be a positive integer, got 1.5');
  await expect(runKdlts(request({ rewindIteration: 2, independentInit: true }))).rejects.toThrow(/rewindIteration needs teachers trained from θ0/);
  await expect(runKdlts(request({ rewindIteration: 5 }))).rejects.toThrow("rewindIteration 5 exceeds the 4 iterations of a teacher's 1 epoch(s)");
  await expect(runKdlts(request({ sparsity: 1 }))).rejects.toThrow(/sparsity/);
  await expect(runKdlts(request({ model: 'nope' }))).rejects.toThrow("unknown model 'nope'");
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { useBackend } from '@kdlts/backend';
import { loadMask } from '@kdlts/prune';

import { ticketRatio, benchTable } from './ticket-bench';
import { runSeed, type RunnerOptions } from './ticket-runner';
import type { TicketRecord } from './ticket-results';

const options = (runsDir: string): RunnerOptions => ({
  runsDir, kdlts: { teachers: 2, teacherEpochs: 1, searchSteps: 4, searchBatchSize: 100, rewindIteration: 2 },
  imp: { pruneFraction: 0.2 }, scoringBatches: 1, log: () => undefined,
});
const budget = { model: 'lenet300', dataset: 'synthetic' as const, epochs: 1 };

test('runSeed: one record per (method, sparsity); IMP to the lower sparsity is the start of the longer run; a rerun reads the records', async () => {
  await useBackend({ backend: 'kdlts' });
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-runner-'));
  const plan = { budget, seed: 0, methods: ['magnitude', 'imp', 'kdlts', 'kdlts-early'], sparsities: [0.5, 0.8] };
  const seen: TicketRecord[] = [];
  const records = await runSeed(plan, options(runsDir), (r) => seen.push(r));
  expect(records.map((r) => `${r.method}@${r.sparsity}`)).toEqual([
    'kdlts-early@0.5', 'kdlts-early@0.8', 'magnitude@0.5', 'magnitude@0.8', 'imp@0.5', 'imp@0.8', 'kdlts@0.5', 'kdlts@0.8',
  ]);
  expect(seen).toEqual(records);
  const n = 784 * 300 + 300 * 100 + 100 * 10;
  for (const r of records) {
    expect(r.kept).toBe(Math.round((1 - r.sparsity) * n));
    expect(loadMask(path.join(r.runDir, 'mask.kmask')).mask.count()).toBe(r.kept);
    expect(r.finalAccuracy).toBeGreaterThan(0);
  }
  const imp = records.filter((r) => r.method === 'imp');
  expect(imp.map((r) => r.breakdown.rounds)).toEqual([4, 8]); // ceil(log 0.5 / log 0.8), ceil(log 0.2 / log 0.8)
  expect(imp.map((r) => r.epochEquivalents)).toEqual([4, 8]); // one epoch a round
  expect(imp[0].timeToTicketSeconds).toBeLessThan(imp[1].timeToTicketSeconds);
  const kd = records.filter((r) => r.method === 'kdlts');
  expect(kd[0].epochEquivalents).toBeCloseTo(2 + (4 * 100) / 1000, 10);
  expect(kd[0].breakdown.teachers).toBe(kd[1].breakdown.teachers); // shared teachers, counted in full by each
  // KD-LTS cells are named by their resolved search settings too (a changed search default never reuses a record).
  expect(path.basename(kd[0].runDir)).toMatch(/^kdlts-s0\.5-[0-9a-f]{10}$/);
  expect(path.basename(records.find((r) => r.method === 'magnitude')!.runDir)).toBe('magnitude-s0.5');
  expect(records.find((r) => r.method === 'kdlts-early')).toMatchObject({ rewindIteration: 2, label: 'KD-LTS (θ_t, t = 2)' });
  expect(records.find((r) => r.method === 'magnitude')!.epochEquivalents).toBe(0);

  const again = await runSeed(plan, options(runsDir), () => undefined);
  expect(again).toEqual(records);
  await expect(runSeed({ ...plan, methods: ['lottery'] }, options(runsDir), () => undefined)).rejects.toThrow("unknown method 'lottery'");
  fs.rmSync(runsDir, { recursive: true });
}, 120_000);

const record = (method: string, seed: number, seconds: number, epochs: number, accuracy: number): TicketRecord => ({
  model: 'lenet300', dataset: 'fashion-mnist', method, label: method.toUpperCase(), sparsity: 0.95, seed, kept: 1, size: 20,
  timeToTicketSeconds: seconds, epochEquivalents: epochs, breakdown: { teachers: seconds / 2, search: seconds / 2 },
  finalAccuracy: accuracy, bestAccuracy: accuracy, bestEpoch: 1, ticketTrainSeconds: 1, rewindIteration: 0, runDir: '',
});

test('ticketRatio: IMP / KD-LTS of the mean time and epoch-equivalents; undefined without both', () => {
  const rs = [record('imp', 0, 100, 70, 0.9), record('imp', 1, 140, 70, 0.9), record('kdlts', 0, 10, 3.5, 0.8), record('kdlts', 1, 14, 3.5, 0.8)];
  expect(ticketRatio(rs)).toEqual({ time: 10, epochs: 20 });
  expect(ticketRatio(rs.filter((r) => r.method === 'imp'))).toBeUndefined();
  const table = benchTable(rs);
  expect(table).toMatch(/IMP\s+120\.0 ± 28\.3\s+70\.00 ± 0\.00\s+teachers 60\.0 ± 14\.1 s, search 60\.0 ± 14\.1 s\s+90\.00 ± 0\.00%/);
});

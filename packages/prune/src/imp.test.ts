import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { syntheticDataset } from '@kdlts/data';
import { buildModel, getModelSpec } from '@kdlts/models';
import { readBundle, snapshotWeights, train, TrainingAborted, type TensorBundle, type TrainConfig, type TrainData } from '@kdlts/train';

import { loadMask } from './format';
import { runImp, type ImpEvent, type ImpRequest, type ImpSummary } from './imp';
import { keptCount } from './select';
import type { Mask } from './mask';
import { useKdltsBackend } from './testing/tiny';

// LeNet-300-100 on 8x8 synthetic images: 50,200 prunable weights, a round is a few milliseconds.
const SHAPE: [number, number, number] = [8, 8, 1];
const data: TrainData = {
  train: syntheticDataset({ count: 40, shape: SHAPE, seed: 1, sampleSeed: 2 }),
  test: syntheticDataset({ count: 20, shape: SHAPE, seed: 1, sampleSeed: 3 }),
};
const config: TrainConfig = { lr: 0.05, momentum: 0.9, batchSize: 20, epochs: 2, seed: 4 }; // 4 steps a round
const N = 64 * 300 + 300 * 100 + 100 * 10;

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-imp-'));
const lenet = () => {
  const model = buildModel('lenet300', { seed: 3, inputShape: SHAPE });
  return { model, prunable: getModelSpec('lenet300').prunableWeights(model) };
};
const request = (extra: Partial<ImpRequest> = {}): ImpRequest => ({ ...lenet(), data, config, sparsity: 0.5, trainTicket: false, ...extra });
const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Every weight of the model is the rewind point's, bitwise, except the pruned ones, which are +0. */
function expectRewound(model: ImpRequest['model'], point: TensorBundle, mask: Mask): void {
  for (const [name, now] of snapshotWeights(model)) {
    const got = bitsOf(now.values);
    const then = bitsOf(point.get(name)!.values);
    const bits = mask.layer(name)?.bits;
    let wrong = 0;
    for (let i = 0; i < got.length; i++) if (got[i] !== (bits && bits[i] === 0 ? 0 : then[i])) wrong++; // pruned: +0
    expect(`${name}: ${wrong} of ${got.length} differ`).toBe(`${name}: 0 of ${got.length} differ`);
  }
}

const withoutTimes = (s: ImpSummary) => ({
  ...s, timeToTicketSeconds: 0, rounds: s.rounds.map((r) => ({ ...r, trainSeconds: 0, evalSeconds: 0, pruneSeconds: 0, seconds: 0 })),
});

describe('runImp', () => {
  beforeAll(useKdltsBackend);

  it('IMP: density 0.8^r after round r, exactly the target at the end, survivors rewound to θ0 bitwise', async () => {
    const dir = tmp();
    const req = request({ outDir: dir, trainTicket: true });
    const theta0 = snapshotWeights(req.model);
    const rewinds: Array<number | 'ticket'> = [];
    const events: ImpEvent[] = [];
    const { mask, summary } = await runImp({
      ...req,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'rewound') {
          rewinds.push(e.before);
          expectRewound(req.model, theta0, e.mask);
        }
      },
    });
    expect(rewinds).toEqual([2, 3, 4, 'ticket']);
    expect(summary.rounds).toHaveLength(4); // ceil(log 0.5 / log 0.8)
    summary.rounds.forEach((r, i) => {
      expect(r.round).toBe(i + 1);
      expect(r.kept).toBe(i === 0 ? N : summary.rounds[i - 1].prunedKept);
      expect(r.prunedKept).toBe(i < 3 ? Math.round(N * 0.8 ** (i + 1)) : keptCount(N, 0.5));
      expect(r.finalAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.iterations).toBe(4);
      expect(r.epochEquivalents).toBe(2);
      expect(r.seconds).toBeCloseTo(r.trainSeconds + r.pruneSeconds, 10);
    });
    expect(summary.rounds[2].prunedDensity).toBeCloseTo(0.512, 4);
    expect(mask.count()).toBe(keptCount(N, 0.5));
    expect(summary).toMatchObject({ method: 'imp', kept: keptCount(N, 0.5), size: N, epochEquivalents: 8, rewindIteration: 0 });
    expect(summary.timeToTicketSeconds).toBeCloseTo(summary.rounds.reduce((a, r) => a + r.seconds, 0), 10);
    expect(summary.ticket?.iterations).toBe(4);
    // Each round trained with the previous round's pruned mask; the masks are nested.
    for (let r = 1; r <= 4; r++) {
      const trained = loadMask(path.join(dir, `round-${r}`, 'mask.kmask')).mask;
      const pruned = loadMask(path.join(dir, `round-${r}`, 'pruned.kmask')).mask;
      expect(trained.count()).toBe(summary.rounds[r - 1].kept);
      expect(pruned.and(trained).equals(pruned)).toBe(true);
      expect(fs.existsSync(path.join(dir, `round-${r}`, 'train', 'result.json'))).toBe(true);
    }
    expect(loadMask(path.join(dir, 'mask.kmask')).mask.equals(mask)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'imp.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(summary)));
    // The trained ticket keeps its pruned weights at exactly 0.
    for (const p of req.prunable) {
      const w = p.variable.read().dataSync();
      const bits = mask.layer(p.name)!.bits;
      for (let i = 0; i < bits.length; i++) if (!bits[i] && w[i] !== 0) throw new Error(`${p.name}[${i}] = ${w[i]}`);
    }
    expect(events.at(-1)?.type).toBe('done');
    fs.rmSync(dir, { recursive: true });
  });

  it('LTR: survivors rewind to θ_k, the weights after k steps of the dense round', async () => {
    const dir = tmp();
    const req = request({ outDir: dir, rewindIteration: 3, sparsity: 0.36 });
    const theta0 = snapshotWeights(req.model);
    const { mask, summary } = await runImp(req);
    expect(summary.method).toBe('ltr');
    expect(summary.rounds).toHaveLength(2);
    // θ_k independently: 3 steps of the same training from the same θ0.
    const other = lenet();
    await train({ model: other.model, data, config: { ...config, epochs: undefined, iterations: 3 } });
    const thetaK = snapshotWeights(other.model);
    expect(bitsOf(thetaK.get('fc1/kernel')!.values)).not.toEqual(bitsOf(theta0.get('fc1/kernel')!.values));
    expectRewound(req.model, thetaK, mask);
    expectRewound(req.model, readBundle(path.join(dir, 'round-1', 'train', 'weights', 'iter-3.kdt')).tensors, mask);
    await expect(runImp(request({ rewindIteration: 4 }))).rejects.toThrow('rewindIteration 4 must be less than the 4 iterations of a round');
    fs.rmSync(dir, { recursive: true });
  });

  it('a run stopped during a round, or between rounds, resumes without redoing finished rounds: same result', async () => {
    const dirA = tmp();
    const a = await runImp(request({ outDir: dirA }));

    const dirB = tmp();
    const stop = new AbortController();
    // Stopped in round 2's second epoch (its epoch-1 checkpoint is on disk).
    await expect(runImp(request({
      outDir: dirB, signal: stop.signal, logEvery: 1,
      onEvent: (e) => e.type === 'train' && e.stage === 2 && e.event.type === 'iteration' && e.event.iteration === 3 && stop.abort(),
    }))).rejects.toBeInstanceOf(TrainingAborted);
    expect(fs.existsSync(path.join(dirB, 'round-1', 'round.json'))).toBe(true);
    expect(fs.existsSync(path.join(dirB, 'round-2', 'round.json'))).toBe(false);

    // Resumed, then stopped between rounds 3 and 4.
    const stop2 = new AbortController();
    const seen: string[] = [];
    await expect(runImp(request({
      outDir: dirB, signal: stop2.signal,
      onEvent: (e) => {
        if (e.type === 'round-done') seen.push(`${e.round}:${e.skipped ? 'skipped' : 'done'}`);
        if (e.type === 'train' && e.event.type === 'start') seen.push(`${e.stage}:start@${e.event.resumedFromEpoch}`);
        if (e.type === 'round-done' && e.round === 3) stop2.abort();
      },
    }))).rejects.toBeInstanceOf(TrainingAborted);
    expect(seen).toEqual(['1:skipped', '2:start@1', '2:done', '3:start@0', '3:done', '4:start@0']);

    // A kill after round 3's pruned mask but before its round.json: round 3's training is found finished.
    fs.rmSync(path.join(dirB, 'round-3', 'round.json'));
    const seen2: string[] = [];
    const b = await runImp(request({
      outDir: dirB,
      onEvent: (e) => {
        if (e.type === 'round-done') seen2.push(`${e.round}:${e.skipped ? 'skipped' : 'done'}`);
        if (e.type === 'train' && e.event.type === 'start') seen2.push(`${e.stage}:start`);
      },
    }));
    expect(seen2).toEqual(['1:skipped', '2:skipped', '3:done', '4:start', '4:done']);
    expect(b.mask.equals(a.mask)).toBe(true);
    expect(withoutTimes(b.summary)).toEqual(withoutTimes(a.summary));
    for (let r = 1; r <= 4; r++) {
      const pa = loadMask(path.join(dirA, `round-${r}`, 'pruned.kmask')).mask;
      expect(loadMask(path.join(dirB, `round-${r}`, 'pruned.kmask')).mask.equals(pa)).toBe(true);
    }
    // Another run's directory is refused, not reused.
    await expect(runImp(request({ outDir: dirB, pruneFraction: 0.3 }))).rejects.toThrow(/round-1\/round\.json: written by an IMP run with other settings/);
    fs.rmSync(dirA, { recursive: true });
    fs.rmSync(dirB, { recursive: true });
  });

  it('layerwise: every layer ends at the target density; bad settings are clear errors', async () => {
    const { mask } = await runImp(request({ layerwise: true, sparsity: 0.36 }));
    expect(mask.count()).toBe(keptCount(N, 0.36));
    for (const d of mask.layerDensities().values()) expect(d).toBeCloseTo(0.64, 2);
    await expect(runImp(request({ sparsity: 1 }))).rejects.toThrow('sparsity must be a finite number with 0 < sparsity < 1, got 1');
    await expect(runImp(request({ pruneFraction: 0 }))).rejects.toThrow('pruneFraction must be');
    await expect(runImp(request({ rewindIteration: -1 }))).rejects.toThrow('rewindIteration must be an integer >= 0, got -1');
  });
});

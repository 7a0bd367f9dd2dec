import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { syntheticDataset } from '@kdlts/data';
import { buildModel, getModelSpec } from '@kdlts/models';
import type { TrainConfig, TrainData } from '@kdlts/train';

import { runImp } from './imp';
import { impMaskAt } from './imp_at';
import { useKdltsBackend } from './testing/tiny';

const SHAPE: [number, number, number] = [8, 8, 1];
const data: TrainData = {
  train: syntheticDataset({ count: 40, shape: SHAPE, seed: 1, sampleSeed: 2 }),
  test: syntheticDataset({ count: 20, shape: SHAPE, seed: 1, sampleSeed: 3 }),
};
const config: TrainConfig = { lr: 0.05, momentum: 0.9, batchSize: 20, epochs: 2, seed: 4 };
const lenet = () => {
  const model = buildModel('lenet300', { seed: 3, inputShape: SHAPE });
  return { model, prunable: getModelSpec('lenet300').prunableWeights(model) };
};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-imp-at-'));

describe('impMaskAt', () => {
  beforeAll(useKdltsBackend);

  it.each([
    ['IMP', 0, false],
    ['LTR, layerwise', 1, true],
  ])('%s: the mask of IMP to a lower sparsity, from a longer run\'s rounds, equals a run to that sparsity', async (_name, rewindIteration, layerwise) => {
    const longDir = tmp();
    const long = lenet();
    await runImp({ ...long, data, config, sparsity: 0.8, rewindIteration, layerwise, outDir: longDir, trainTicket: false }); // 8 rounds
    for (const sparsity of [0.2, 0.5, 0.6]) {
      const alone = lenet();
      const direct = await runImp({ ...alone, data, config, sparsity, rewindIteration, layerwise, trainTicket: false });
      const derived = impMaskAt({ ...long, impDir: longDir, sparsity, layerwise });
      expect(derived.mask.equals(direct.mask)).toBe(true);
      expect(derived.rounds.map((r) => r.round)).toEqual(direct.summary.rounds.map((r) => r.round));
      expect(derived.rounds.map((r) => [r.kept, r.prunedKept])).toEqual(direct.summary.rounds.map((r) => [r.kept, r.prunedKept]));
      expect(derived.rounds.map((r) => r.finalAccuracy)).toEqual(direct.summary.rounds.map((r) => r.finalAccuracy));
      alone.model.dispose();
    }
    expect(() => impMaskAt({ ...long, impDir: longDir, sparsity: 0.9 })).toThrow(/round-9\/round\.json is missing: IMP to sparsity 0\.9 needs rounds 1\.\.11/);
    long.model.dispose();
    fs.rmSync(longDir, { recursive: true });
  }, 60_000);
});

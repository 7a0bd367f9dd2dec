// Smoke runs on the registry's models with the real data pipeline (synthetic images normalised by
// the caller, as the CLI will): every method yields exactly k, finite scores, no collapse at 90%.
import { batches, FASHION_MNIST_STATS, normalize, syntheticDataset } from '@kdlts/data';
import { buildModel, getModelSpec } from '@kdlts/models';

import { sizeOfShape } from './mask';
import { prune } from './prune';
import { keptCount } from './select';
import { METHOD_NAMES } from './strategies';
import { useKdltsBackend } from './testing/tiny';

function scoringData(shape: [number, number, number], size: number) {
  const ds = normalize(syntheticDataset({ count: size, shape, seed: 1 }), shape[2] === 1 ? { stats: FASHION_MNIST_STATS } : {});
  return [...batches(ds, size)];
}

describe('prune on the models', () => {
  beforeAll(useKdltsBackend);

  it('lenet300: every method, 90% sparsity', async () => {
    const model = buildModel('lenet300', { seed: 0 });
    const prunable = getModelSpec('lenet300').prunableWeights(model);
    const n = prunable.reduce((a, p) => a + sizeOfShape(p.shape), 0);
    const data = scoringData([28, 28, 1], 32);
    for (const method of METHOD_NAMES) {
      const { mask, report } = await prune({ method, model, prunable, sparsity: 0.9, seed: 0, data });
      expect(mask.count()).toBe(keptCount(n, 0.9));
      expect(report.collapsed).toEqual([]);
    }
  });

  it('conv2: magnitude, SNIP and GraSP (double backprop through conv, max pool and ReLU)', async () => {
    const model = buildModel('conv2', { seed: 0 });
    const prunable = getModelSpec('conv2').prunableWeights(model);
    const n = prunable.reduce((a, p) => a + sizeOfShape(p.shape), 0);
    const data = scoringData([28, 28, 1], 8);
    for (const method of ['magnitude', 'snip', 'grasp']) {
      const { mask } = await prune({ method, model, prunable, sparsity: 0.9, seed: 0, data, layerwise: method === 'grasp' });
      expect(mask.count()).toBe(keptCount(n, 0.9));
    }
  });

  it('resnet20: GraSP through batch norm (inference), option-A shortcuts and pooling; SynFlow', async () => {
    const model = buildModel('resnet20', { seed: 0 });
    const prunable = getModelSpec('resnet20').prunableWeights(model);
    const n = prunable.reduce((a, p) => a + sizeOfShape(p.shape), 0);
    const data = scoringData([32, 32, 3], 4);
    for (const method of ['grasp', 'synflow']) {
      const { mask, report } = await prune({ method, model, prunable, sparsity: 0.9, seed: 0, data });
      expect(mask.count()).toBe(keptCount(n, 0.9));
      expect(report.collapsed).toEqual([]);
    }
  });
});

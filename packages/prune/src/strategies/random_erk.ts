// Random pruning with Erdos-Renyi-Kernel layer densities (Evci et al. 2020, "Rigging the Lottery",
// section 3): density_l = eps * (sum of the kernel's dimensions) / (product of them), i.e.
// (h + w + c_in + c_out) / (h * w * c_in * c_out) for a conv kernel and (n_in + n_out) / (n_in * n_out)
// for a dense one (plain Erdos-Renyi), with eps scaled so the whole mask keeps exactly k; a layer
// whose density would pass 1 stays dense and eps is recomputed for the rest (RigL's rule). A layer
// keeps density_l * size_l = eps * (sum of its dimensions) weights: apportion() turns that into
// integers summing to k. Within each layer the kept weights are a seeded uniformly random subset.
// ERK is a per-layer allocation by definition: the `layerwise` option changes nothing here.
import { topkMask } from '@kdlts/native';

import { Mask, sizeOfShape, type LayerLayout } from '../mask';
import { apportion, keptCount, validateMinPerLayer } from '../select';
import { randomScores } from './random';
import type { Strategy } from './strategy';

/** Weights each layer keeps under ERK for a total of k (and at least minPerLayer each). */
export function erkQuotas(layout: readonly LayerLayout[], k: number, minPerLayer = 0): number[] {
  return apportion(
    k,
    layout.map((l) => ({ size: sizeOfShape(l.shape), weight: l.shape.reduce((a, b) => a + b, 0), floor: minPerLayer })),
  );
}

export const randomErk: Strategy = {
  name: 'random-erk',
  description: 'random with Erdos-Renyi-Kernel layer densities (Evci et al. 2020), seeded random within each layer',
  needsData: false,
  async prune({ prunable, sparsity, seed, selection }) {
    const sizes = prunable.map((p) => sizeOfShape(p.shape));
    const n = sizes.reduce((a, b) => a + b, 0);
    const quotas = erkQuotas(prunable, keptCount(n, sparsity), validateMinPerLayer(selection.minPerLayer));
    const scores = randomScores(prunable, seed);
    const all = new Float32Array(n);
    let start = 0;
    for (const p of prunable) {
      all.set(scores.get(p.name)!, start);
      start += sizeOfShape(p.shape);
    }
    return Mask.fromFlat(prunable, topkMask(all, quotas, { groupSizes: sizes }));
  },
};

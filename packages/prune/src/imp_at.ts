// IMP to several sparsities from one run. IMP to a target s is, round for round, the start of IMP
// to any higher target s' (same prune fraction, rewind point, selection, model, data and
// training): rounds 1..R_s-1 keep round(n (1-p)^r) in both, round R_s trains under the same mask in
// both, and only its pruning differs (to k_s instead of round(n (1-p)^R_s)). So the mask IMP to s
// ends with is the magnitude pruning, to k_s, of round R_s's survivors by the weights that round
// ended with (round-<R_s>/train/final.kdt): exact, without training anything again.
import * as path from 'path';
import type { PrunableWeight } from '@kdlts/models';
import { loadWeights, readJsonIfExists, restoreWeights, snapshotWeights } from '@kdlts/train';

import { loadMask } from './format';
import { IMP_ROUND_FILE, IMP_ROUND_MASK_FILE, type ImpRound } from './imp';
import { impRounds, IMP_DEFAULT_PRUNE_FRACTION, pruneSurvivors } from './imp_pruning';
import type { Mask } from './mask';
import { keptCount, type SelectionOptions } from './select';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ImpAtRequest extends SelectionOptions {
  /** The model the IMP run trained (its weights are restored afterwards). */
  model: tfl.LayersModel;
  prunable: PrunableWeight[];
  /** The run directory of IMP to a sparsity >= `sparsity` (its rounds 1..R_s must be done). */
  impDir: string;
  sparsity: number;
  /** The run's prune fraction (default 0.2). */
  pruneFraction?: number;
}

export interface ImpAtResult {
  mask: Mask;
  /** The records of the rounds IMP to `sparsity` runs (1..R_s): its time-to-ticket is theirs. */
  rounds: ImpRound[];
}

export function impMaskAt(request: ImpAtRequest): ImpAtResult {
  const { model, prunable, impDir, sparsity } = request;
  const p = request.pruneFraction ?? IMP_DEFAULT_PRUNE_FRACTION;
  const last = impRounds(sparsity, p);
  const rounds: ImpRound[] = [];
  for (let r = 1; r <= last; r++) {
    const file = path.join(impDir, `round-${r}`, IMP_ROUND_FILE);
    const record = readJsonIfExists<ImpRound>(file);
    if (!record) throw new Error(`${file} is missing: IMP to sparsity ${sparsity} needs rounds 1..${last} of ${impDir} done`);
    rounds.push(record);
  }
  const stage = path.join(impDir, `round-${last}`);
  const mask = loadMask(path.join(stage, IMP_ROUND_MASK_FILE)).mask;
  mask.checkMatches(prunable);
  const saved = snapshotWeights(model);
  try {
    loadWeights(model, path.join(stage, 'train', 'final.kdt'));
    const n = prunable.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
    const pruned = pruneSurvivors(prunable, mask, keptCount(n, sparsity), request);
    const lastRound = rounds[last - 1];
    rounds[last - 1] = { ...lastRound, prunedKept: pruned.count(), prunedDensity: pruned.density() };
    return { mask: pruned, rounds };
  } finally {
    restoreWeights(model, saved);
  }
}

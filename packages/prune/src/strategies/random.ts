// Random pruning, uniform: every weight's score is its rank in a seeded random permutation of all
// n weights, so the k kept form a uniformly random subset (global), or each layer keeps a
// uniformly random subset of its share (layerwise). Ranks are exact in float32 up to 2^24
// weights (no ties); beyond, neighbouring ranks may round together (ties keep the lower index).
import { permutation } from '@kdlts/data';

import { sizeOfShape } from '../mask';
import { scoringStrategy, type LayerScores } from './strategy';

/** Per layer, a slice of one seeded permutation of 0..n-1 (as float32 scores). */
export function randomScores(layout: readonly { name: string; shape: readonly number[] }[], seed: number): LayerScores {
  const n = layout.reduce((a, l) => a + sizeOfShape(l.shape), 0);
  const ranks = permutation(n, seed);
  const scores: LayerScores = new Map();
  let start = 0;
  for (const l of layout) {
    const size = sizeOfShape(l.shape);
    scores.set(l.name, Float32Array.from(ranks.subarray(start, start + size)));
    start += size;
  }
  return scores;
}

export const random = scoringStrategy({
  name: 'random',
  description: 'random, uniform: a seeded uniformly random subset (global), or per layer (layerwise)',
  needsData: false,
  async score({ prunable, seed }) {
    return randomScores(prunable, seed);
  },
});

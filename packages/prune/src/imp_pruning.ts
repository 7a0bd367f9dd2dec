// The pruning step of iterative magnitude pruning (IMP / LTR): how many rounds reach a sparsity,
// how many weights each round keeps, and the magnitude pruning of the surviving weights (the
// pruned ones can never come back, so the masks of successive rounds are nested).
import { topkMask } from '@kdlts/native';
import type { PrunableWeight } from '@kdlts/models';

import { countOnes, Mask } from './mask';
import { absolute, rankMaskedLast } from './scores';
import { apportion, keptCount, selectTopK, validateMinPerLayer, validateSparsity, type SelectionOptions } from './select';

/** The default fraction of the surviving weights each round removes (Frankle & Carbin). */
export const IMP_DEFAULT_PRUNE_FRACTION = 0.2;

export function validatePruneFraction(p: unknown): number {
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p >= 1) {
    throw new RangeError(`pruneFraction must be a finite number with 0 < pruneFraction < 1, got ${String(p)}`);
  }
  return p;
}

/**
 * R = ceil(log(1 - s) / log(1 - p)): the rounds that take a dense network to sparsity s removing a
 * fraction p of the survivors each time. A ratio within 1e-9 of an integer counts as that integer
 * (s = 0.36, p = 0.2 is exactly 2 rounds, not 3 through rounding error).
 */
export function impRounds(sparsity: number, pruneFraction: number): number {
  const ratio = Math.log(1 - validateSparsity(sparsity)) / Math.log(1 - validatePruneFraction(pruneFraction));
  const nearest = Math.round(ratio);
  return Math.max(1, Math.abs(ratio - nearest) < 1e-9 ? nearest : Math.ceil(ratio));
}

/**
 * How many of n weights survive after each round: round(n (1 - p)^r) for r < R (the closed form,
 * so rounding does not accumulate), and exactly k = round((1 - s) n) after the last round.
 */
export function impKeptCounts(n: number, sparsity: number, pruneFraction: number): number[] {
  const rounds = impRounds(sparsity, pruneFraction);
  const target = keptCount(n, sparsity);
  return Array.from({ length: rounds }, (_, i) =>
    i === rounds - 1 ? target : Math.max(target, Math.round(n * Math.pow(1 - pruneFraction, i + 1))));
}

/**
 * Keeps the k largest |w| among the weights `current` keeps (the pruned ones rank last and are
 * never chosen back). Global by default; layerwise, every layer keeps its share of k (at most its
 * survivors); `minPerLayer` as in select.ts. The result keeps exactly k and is a subset of `current`.
 */
export function pruneSurvivors(prunable: readonly PrunableWeight[], current: Mask, k: number, selection: SelectionOptions = {}): Mask {
  current.checkMatches(prunable);
  const scores = prunable.map((p) => {
    const s = absolute(p.variable.read().dataSync() as Float32Array);
    rankMaskedLast(s, current.layer(p.name)!.bits);
    return s;
  });
  if (k > current.count()) throw new RangeError(`cannot keep ${k} weights: only ${current.count()} survive`);
  let next: Mask;
  if (selection.layerwise) {
    // Each layer's share is capped at its survivors, so rounding can never revive a pruned weight.
    const minPerLayer = validateMinPerLayer(selection.minPerLayer);
    const sizes = prunable.map((p) => p.shape.reduce((a, b) => a * b, 1));
    const quotas = apportion(k, prunable.map((p, i) => ({
      size: countOnes(current.layer(p.name)!.bits), weight: sizes[i], floor: Math.min(minPerLayer, sizes[i]),
    })));
    const all = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    let start = 0;
    for (const s of scores) {
      all.set(s, start);
      start += s.length;
    }
    next = Mask.fromFlat(prunable, topkMask(all, quotas, { groupSizes: sizes }));
  } else {
    next = selectTopK(prunable, scores, k, selection);
  }
  if (next.and(current).count() !== k || next.count() !== k) {
    throw new Error(`IMP: the pruned mask is not a subset of the surviving weights (kept ${next.count()}, expected ${k})`);
  }
  return next;
}

// The selection every strategy shares: scores (higher = keep) in, a mask with exactly k ones out,
// through the native core's topkMask (exactly k, ties keep the lower index). Global by default
// (one ranking over all layers); layerwise (each layer keeps its share, the shares summing to k);
// `minPerLayer` guards against layer collapse while still keeping exactly k in all.
import { topkMask } from '@kdlts/native';

import { Mask, sizeOfShape, type LayerLayout } from './mask';

export interface SelectionOptions {
  /** Rank each layer on its own, every layer keeping the same fraction (up to rounding); default false (global). */
  layerwise?: boolean;
  /** Keep at least this many weights in every layer (all of a layer smaller than that); default 0. */
  minPerLayer?: number;
}

/** Largest finite float32: what a non-forced +Infinity score becomes, so forced weights rank first. */
const FLOAT32_MAX = 3.4028234663852886e38;
/** Read once: a global looked up in a loop is slow under jest's sandboxed global object. */
const PLUS_INFINITY = Infinity;

/** Throws unless 0 < sparsity < 1 (a finite number); the message names `sparsity` and the value. */
export function validateSparsity(sparsity: unknown): number {
  if (typeof sparsity !== 'number' || !Number.isFinite(sparsity) || sparsity <= 0 || sparsity >= 1) {
    const shown = typeof sparsity === 'number' ? String(sparsity) : JSON.stringify(sparsity) ?? String(sparsity);
    throw new RangeError(`sparsity must be a finite number with 0 < sparsity < 1, got ${shown}`);
  }
  return sparsity;
}

/** How many of n weights a mask at this sparsity keeps: k = round((1 - sparsity) * n). */
export function keptCount(n: number, sparsity: number): number {
  return Math.round((1 - sparsity) * n);
}

export function validateMinPerLayer(minPerLayer: unknown): number {
  if (minPerLayer === undefined) return 0;
  if (typeof minPerLayer !== 'number' || !Number.isSafeInteger(minPerLayer) || minPerLayer < 0) {
    throw new RangeError(`minPerLayer must be a non-negative integer, got ${String(minPerLayer)}`);
  }
  return minPerLayer;
}

export interface ApportionLayer {
  /** The most this layer can keep (its element count). */
  size: number;
  /** Its share is proportional to this (its size for uniform densities; ERK: see random_erk.ts). */
  weight: number;
  /** The least it keeps (default 0). */
  floor?: number;
}

/**
 * Integer budgets that sum to exactly k: q_l = clamp(t * weight_l, floor_l, size_l) with t found
 * by bisection (water filling: a layer at its size or floor drops out and the rest share what is
 * left), rounded down, then the remainder handed out one by one to the largest fractional parts
 * (ties: the earlier layer).
 */
export function apportion(k: number, layers: readonly ApportionLayer[]): number[] {
  const floors = layers.map((l) => Math.min(l.floor ?? 0, l.size));
  const caps = layers.map((l, i) => (l.weight > 0 ? l.size : floors[i]));
  const least = floors.reduce((a, b) => a + b, 0);
  const most = caps.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(k) || k < least || k > most) {
    throw new RangeError(`cannot keep ${k} weights: the layers keep at least ${least} (their per-layer minimums) and at most ${most}`);
  }
  const share = (t: number) => layers.map((l, i) => Math.min(caps[i], Math.max(floors[i], t * l.weight)));
  const total = (t: number) => share(t).reduce((a, b) => a + b, 0);
  let lo = 0;
  let hi = Math.max(0, ...layers.map((l, i) => (l.weight > 0 ? caps[i] / l.weight : 0)));
  for (let step = 0; step < 200 && lo < hi; step++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (total(mid) <= k) lo = mid;
    else hi = mid;
  }
  const real = share(total(hi) <= k ? hi : lo);
  const quota = real.map((r) => Math.floor(r));
  let left = k - quota.reduce((a, b) => a + b, 0);
  const order = layers.map((_, i) => i).sort((a, b) => real[b] - quota[b] - (real[a] - quota[a]) || a - b);
  while (left > 0) {
    for (const i of order) {
      if (left === 0) break;
      if (quota[i] < caps[i]) {
        quota[i]++;
        left--;
      }
    }
  }
  return quota;
}

/**
 * The mask keeping exactly k weights: the k highest scores overall (global), or each layer's
 * apportioned share of its own highest (layerwise). `scores[l]` scores layout[l] row-major;
 * NaN is an error, +-Infinity is allowed.
 */
export function selectTopK(
  layout: readonly LayerLayout[],
  scores: readonly Float32Array[],
  k: number,
  options: SelectionOptions = {},
): Mask {
  const sizes = layout.map((l) => sizeOfShape(l.shape));
  if (scores.length !== layout.length) throw new Error(`selectTopK: ${scores.length} score arrays for ${layout.length} layers`);
  layout.forEach((l, i) => {
    if (scores[i].length !== sizes[i]) throw new Error(`selectTopK: layer '${l.name}' has ${scores[i].length} scores for ${sizes[i]} weights`);
    const nan = firstNaN(scores[i]);
    if (nan >= 0) throw new Error(`selectTopK: layer '${l.name}' score ${nan} is NaN`);
  });
  const n = sizes.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(k) || k < 0 || k > n) throw new RangeError(`selectTopK: k = ${k} is outside [0, ${n}]`);
  const minPerLayer = validateMinPerLayer(options.minPerLayer);
  const floors = sizes.map((s) => Math.min(minPerLayer, s));
  const forcedTotal = floors.reduce((a, b) => a + b, 0);
  if (forcedTotal > k) {
    throw new RangeError(
      `minPerLayer ${minPerLayer} keeps ${forcedTotal} weights over ${layout.length} layers, more than the ${k} this sparsity keeps`,
    );
  }
  const all = concat(scores, n);
  let flat: Uint8Array;
  if (options.layerwise) {
    const quotas = apportion(k, sizes.map((size, i) => ({ size, weight: size, floor: floors[i] })));
    flat = topkMask(all, quotas, { groupSizes: sizes });
  } else if (forcedTotal > 0) {
    // Each layer's floor_l best are forced in (ranked above everything), then the rest compete globally.
    const forced = topkMask(all, floors, { groupSizes: sizes });
    for (let i = 0; i < n; i++) all[i] = forced[i] ? PLUS_INFINITY : all[i] > FLOAT32_MAX ? FLOAT32_MAX : all[i];
    flat = topkMask(all, k);
  } else {
    flat = topkMask(all, k);
  }
  return Mask.fromFlat(layout, flat);
}

/** selectTopK with k = round((1 - sparsity) * n). */
export function selectBySparsity(
  layout: readonly LayerLayout[],
  scores: readonly Float32Array[],
  sparsity: number,
  options: SelectionOptions = {},
): Mask {
  const n = layout.reduce((a, l) => a + sizeOfShape(l.shape), 0);
  return selectTopK(layout, scores, keptCount(n, validateSparsity(sparsity)), options);
}

function firstNaN(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) return i;
  return -1;
}

function concat(parts: readonly Float32Array[], n: number): Float32Array {
  const out = new Float32Array(n);
  let start = 0;
  for (const p of parts) {
    out.set(p, start);
    start += p.length;
  }
  return out;
}

// What a pruning strategy is: a name, whether it reads data, and `prune(context) => Mask`. Most
// strategies only score the weights (higher = keep) and leave the choice to the shared selection
// (select.ts); `scoringStrategy` builds those from a score function.
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '@kdlts/data';
import type { PrunableWeight } from '@kdlts/models';

import type { Mask } from '../mask';
import { selectBySparsity, type SelectionOptions } from '../select';

/** An already-normalised batch: Float32 NHWC images (or flat features) and class labels. */
export type ScoringBatch = Batch<Float32Array>;
/** Where data-driven strategies take their batches from (the first `options.batches`). */
export type BatchSource = Iterable<ScoringBatch> | AsyncIterable<ScoringBatch>;

/** Per-strategy settings, each with the default the strategy documents. */
export interface StrategyOptions {
  /** snip, grasp: how many batches of the data to use (default 1). */
  batches?: number;
  /** grasp: the logits are divided by this before the loss (default 200, as in the GraSP paper). */
  temperature?: number;
  /** synflow: pruning iterations (default 100). */
  iterations?: number;
}

export interface PruneContext {
  model: tfl.LayersModel;
  /** The weights to prune, in model order (ModelSpec.prunableWeights). */
  prunable: PrunableWeight[];
  /** 0 < sparsity < 1: the mask keeps k = round((1 - sparsity) * n) weights. */
  sparsity: number;
  /** Seeds every random choice a strategy makes. */
  seed: number;
  /** Batches for the data-driven strategies (SNIP, GraSP); the caller normalises them. */
  data?: BatchSource;
  /** Global or layerwise, and the per-layer minimum (select.ts). */
  selection: SelectionOptions;
  options: StrategyOptions;
}

/** One score per prunable weight, keyed by PrunableWeight.name, row-major; higher = keep. */
export type LayerScores = Map<string, Float32Array>;

export interface Strategy {
  name: string;
  description: string;
  /** It reads `context.data`. */
  needsData: boolean;
  prune(context: PruneContext): Promise<Mask>;
}

/** A strategy that scores once and lets the shared selection choose. */
export interface ScoringStrategy extends Strategy {
  score(context: PruneContext): Promise<LayerScores>;
}

export function scoringStrategy(spec: Omit<ScoringStrategy, 'prune'>): ScoringStrategy {
  return {
    ...spec,
    async prune(context) {
      const scores = await spec.score(context);
      const ordered = context.prunable.map((p) => {
        const s = scores.get(p.name);
        if (!s) throw new Error(`${spec.name}: no scores for '${p.name}'`);
        return s;
      });
      return selectBySparsity(context.prunable, ordered, context.sparsity, context.selection);
    },
  };
}

/** The context's data, or an error saying the strategy needs it. */
export function requireData(context: PruneContext, method: string): BatchSource {
  if (!context.data) throw new Error(`method '${method}' needs data: pass batches of normalised training images`);
  return context.data;
}

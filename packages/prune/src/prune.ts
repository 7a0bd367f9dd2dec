// prune(): validate the request, run one strategy, check that the mask keeps exactly k weights,
// and report its sparsity. The one entry point the CLI and the experiments call.
import type * as tfl from '@tensorflow/tfjs-layers';
import type { PrunableWeight } from '@kdlts/models';

import { formatShape, type Mask } from './mask';
import { sparsityReport, type SparsityReport } from './report';
import { keptCount, validateMinPerLayer, validateSparsity, type SelectionOptions } from './select';
import { getStrategy } from './strategies';
import type { BatchSource, StrategyOptions } from './strategies/strategy';

export interface PruneRequest extends SelectionOptions {
  /** A name in STRATEGIES: magnitude, random, random-erk, snip, grasp, synflow. */
  method: string;
  model: tfl.LayersModel;
  /** The model's prunable weights (ModelSpec.prunableWeights(model)). */
  prunable: PrunableWeight[];
  /** 0 < sparsity < 1. */
  sparsity: number;
  /** Normalised batches: required by snip and grasp. */
  data?: BatchSource;
  seed: number;
  options?: StrategyOptions;
}

export interface PruneResult {
  mask: Mask;
  report: SparsityReport;
  /** Wall time of the strategy. */
  seconds: number;
}

export async function prune(request: PruneRequest): Promise<PruneResult> {
  const { method, model, prunable, data, seed } = request;
  const sparsity = validateSparsity(request.sparsity);
  const strategy = getStrategy(method);
  const minPerLayer = validateMinPerLayer(request.minPerLayer);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  checkPrunable(model, prunable);
  if (strategy.needsData && !data) throw new Error(`method '${method}' needs data: pass batches of normalised training images`);

  const start = performance.now();
  const mask = await strategy.prune({
    model,
    prunable,
    sparsity,
    seed,
    data,
    selection: { layerwise: request.layerwise ?? false, minPerLayer },
    options: request.options ?? {},
  });
  const seconds = (performance.now() - start) / 1000;

  mask.checkMatches(prunable);
  const n = mask.size;
  const k = keptCount(n, sparsity);
  if (mask.count() !== k) throw new Error(`${method}: the mask keeps ${mask.count()} of ${n} weights, expected exactly ${k}`);
  return { mask, report: sparsityReport(mask), seconds };
}

/** Throws unless every prunable weight is a variable of this model with the shape it claims, under a unique name. */
export function checkPrunable(model: tfl.LayersModel, prunable: readonly PrunableWeight[]): void {
  if (prunable.length === 0) throw new Error(`model '${model.name}': no prunable weights given`);
  const own = new Set(model.weights);
  const names = new Set<string>();
  for (const p of prunable) {
    if (names.has(p.name)) throw new Error(`prunable weight '${p.name}' is listed twice`);
    names.add(p.name);
    if (!own.has(p.variable)) {
      throw new Error(`prunable weight '${p.name}' (variable '${p.variable.name}') is not a weight of model '${model.name}'`);
    }
    const actual = p.variable.shape as number[];
    if (actual.length !== p.shape.length || actual.some((d, i) => d !== p.shape[i])) {
      throw new Error(`prunable weight '${p.name}' claims shape ${formatShape(p.shape)}, its variable has ${formatShape(actual)}`);
    }
  }
}

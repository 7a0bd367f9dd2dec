// The friendly API over a BindingModule (the native addon or the TypeScript reference):
// defaults, allocated outputs, global-or-grouped arguments. Shapes are checked by the binding.
import type { BindingModule, ExecOptions, MaskArray } from './binding';

export interface GramMatricesOptions extends ExecOptions {
  /** L2-normalise rows first (default true). */
  normalize?: boolean;
  /** Norm floor (default 1e-12). */
  eps?: number;
  /** Output buffer of length L * B * B (allocated when absent). */
  out?: Float32Array;
}

export interface GramBackwardOptions extends ExecOptions {
  normalize?: boolean;
  eps?: number;
  /** Output buffers shaped like `features` (allocated when absent). */
  out?: Float32Array[];
}

export interface ProjectionOptions extends ExecOptions {
  /** Consecutive groups (e.g. one per layer); absent = one global group. */
  groupSizes?: number[];
  /** Output buffer (may be `scores` itself for an in-place projection). */
  out?: Float32Array;
  /** Receives each group's threshold lambda (x = clip(y - lambda, 0, 1)). */
  thresholds?: Float64Array;
}

export interface TopkOptions<M extends MaskArray> extends ExecOptions {
  /** Consecutive groups (e.g. one per layer); absent = one global group. */
  groupSizes?: number[];
  /** Output mask: a Uint8Array (default) or a Float32Array of 0/1. */
  out?: M;
}

export interface KdltsOps {
  /** G_l = F^_l F^_l^T for every block l (F_l: batch x D_l, row-major); returns L*B*B values. */
  gramMatrices(features: Float32Array[], batch: number, options?: GramMatricesOptions): Float32Array;
  gramMatricesAsync(features: Float32Array[], batch: number, options?: GramMatricesOptions): Promise<Float32Array>;
  /** dL/dF_l given dL/dG_l (L*B*B values). */
  gramMatricesBackward(features: Float32Array[], dGrams: Float32Array, batch: number, options?: GramBackwardOptions): Float32Array[];
  gramMatricesBackwardAsync(features: Float32Array[], dGrams: Float32Array, batch: number, options?: GramBackwardOptions): Promise<Float32Array[]>;
  /** Euclidean projection onto {x in [0,1]^n : sum x = k} (per group when groupSizes is given). */
  projectCappedSimplex(scores: Float32Array, budget: number | number[], options?: ProjectionOptions): Float32Array;
  projectCappedSimplexAsync(scores: Float32Array, budget: number | number[], options?: ProjectionOptions): Promise<Float32Array>;
  /** Exactly k ones at the k largest scores (per group when groupSizes is given); ties keep the lower index. */
  topkMask<M extends MaskArray = Uint8Array>(scores: Float32Array, k: number | number[], options?: TopkOptions<M>): M;
  topkMaskAsync<M extends MaskArray = Uint8Array>(scores: Float32Array, k: number | number[], options?: TopkOptions<M>): Promise<M>;
}

function execOf(options: ExecOptions | undefined): ExecOptions {
  return { backend: options?.backend, numThreads: options?.numThreads };
}

// One global group unless groupSizes is given; a scalar budget then needs exactly one group.
function groupsOf(fn: string, n: number, budget: number | number[], groupSizes: number[] | undefined): [number[], number[]] {
  const sizes = groupSizes ?? [n];
  const budgets = Array.isArray(budget) ? budget : [budget];
  if (budgets.length !== sizes.length) {
    throw new RangeError(
      `${fn}: ${budgets.length} budget(s) for ${sizes.length} group(s): pass one budget per entry of options.groupSizes`,
    );
  }
  return [sizes, budgets];
}

export function createOps(binding: BindingModule): KdltsOps {
  const gramArgs = (features: Float32Array[], batch: number, options?: GramMatricesOptions) => {
    const out = options?.out ?? new Float32Array(features.length * batch * batch);
    return [features, batch, out, { normalize: options?.normalize ?? true, eps: options?.eps ?? 1e-12 }, execOf(options)] as const;
  };
  const gramBackwardArgs = (features: Float32Array[], dGrams: Float32Array, batch: number, options?: GramBackwardOptions) => {
    const out = options?.out ?? features.map((f) => new Float32Array(f.length));
    return [features, dGrams, batch, out, { normalize: options?.normalize ?? true, eps: options?.eps ?? 1e-12 }, execOf(options)] as const;
  };
  const projectionArgs = (fn: string, scores: Float32Array, budget: number | number[], options?: ProjectionOptions) => {
    const [sizes, budgets] = groupsOf(fn, scores.length, budget, options?.groupSizes);
    const out = options?.out ?? new Float32Array(scores.length);
    return [scores, sizes, budgets, out, options?.thresholds ?? null, execOf(options)] as const;
  };
  const topkArgs = <M extends MaskArray>(fn: string, scores: Float32Array, k: number | number[], options?: TopkOptions<M>) => {
    const [sizes, ks] = groupsOf(fn, scores.length, k, options?.groupSizes);
    const out = options?.out ?? (new Uint8Array(scores.length) as MaskArray as M);
    return [scores, sizes, ks, out, execOf(options)] as const;
  };
  return {
    gramMatrices: (features, batch, options) => binding.gramForward(...gramArgs(features, batch, options)),
    gramMatricesAsync: (features, batch, options) => binding.gramForwardAsync(...gramArgs(features, batch, options)),
    gramMatricesBackward: (features, dGrams, batch, options) =>
      binding.gramBackward(...gramBackwardArgs(features, dGrams, batch, options)),
    gramMatricesBackwardAsync: (features, dGrams, batch, options) =>
      binding.gramBackwardAsync(...gramBackwardArgs(features, dGrams, batch, options)),
    projectCappedSimplex: (scores, budget, options) =>
      binding.projectCappedSimplex(...projectionArgs('projectCappedSimplex', scores, budget, options)),
    projectCappedSimplexAsync: (scores, budget, options) =>
      binding.projectCappedSimplexAsync(...projectionArgs('projectCappedSimplexAsync', scores, budget, options)),
    topkMask: (scores, k, options) => binding.topkMask(...topkArgs('topkMask', scores, k, options)),
    topkMaskAsync: (scores, k, options) => binding.topkMaskAsync(...topkArgs('topkMaskAsync', scores, k, options)),
  };
}

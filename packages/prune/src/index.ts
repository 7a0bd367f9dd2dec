// @kdlts/prune: masks over a model's prunable weights (densities, compose, apply, a portable
// `.kmask` file, sparsity reports) and the pruning strategies that make them (magnitude, random,
// random-erk, SNIP, GraSP, SynFlow), all choosing exactly k weights through one selection, and the
// iterative ones that train between prunings (IMP, LTR) through runImp.
//
//   const { mask, report } = await prune({ method: 'snip', model, prunable, sparsity: 0.9, data, seed: 0 });
//   saveMask('runs/x/mask.kmask', mask, { method: 'snip', sparsity: 0.9 });
//   const { mask: ticket, summary } = await runImp({ model, prunable, data, config, sparsity: 0.9, outDir });
export { countOnes, formatShape, layoutDifference, Mask, sizeOfShape, type LayerLayout, type MaskLayer } from './mask';
export {
  decodeMask, encodeMask, loadMask, MASK_FILE_EXTENSION, MASK_FORMAT, MASK_FORMAT_VERSION, MASK_MAGIC, MaskFormatError, saveMask,
  type DecodedMask, type MaskHeader, type MaskHeaderLayer, type MaskMeta,
} from './format';
export { formatSparsityReport, sparsityReport, type LayerSparsity, type SparsityReport } from './report';
export {
  apportion, keptCount, selectBySparsity, selectTopK, validateMinPerLayer, validateSparsity, type ApportionLayer, type SelectionOptions,
} from './select';
export { checkPrunable, prune, type PruneRequest, type PruneResult } from './prune';
export { getStrategy, METHOD_NAMES, STRATEGIES } from './strategies';
export {
  ALL_METHOD_NAMES, getMethod, isTeacherSearchMethod, TEACHER_SEARCH_METHOD_NAMES, TEACHER_SEARCH_METHODS, type MethodInfo,
} from './methods';
export { runFingerprint, type FingerprintInput } from './fingerprint';
export { isIterativeMethod, ITERATIVE_METHOD_NAMES, ITERATIVE_METHODS, type IterativeMethod } from './iterative_methods';
export {
  IMP_PRUNED_MASK_FILE, IMP_ROUND_FILE, IMP_ROUND_MASK_FILE, IMP_SUMMARY_FILE, IMP_TICKET_DIR, runImp,
  type ImpEvent, type ImpRequest, type ImpResult, type ImpRound, type ImpSummary, type ImpTicket,
} from './imp';
export { IMP_DEFAULT_PRUNE_FRACTION, impKeptCounts, impRounds, pruneSurvivors, validatePruneFraction } from './imp_pruning';
export {
  scoringStrategy, type BatchSource, type LayerScores, type PruneContext, type ScoringBatch, type ScoringStrategy, type Strategy,
  type StrategyOptions,
} from './strategies/strategy';
export { randomScores } from './strategies/random';
export { erkQuotas } from './strategies/random_erk';
export { snipScores, SNIP_DEFAULT_BATCHES } from './strategies/snip';
export { GRASP_DEFAULT_BATCHES, GRASP_DEFAULT_TEMPERATURE, graspScores, hessianGradientProduct, type HessianGradient } from './strategies/grasp';
export { SYNFLOW_DEFAULT_ITERATIONS, synflowMask, synflowScores, withAbsoluteWeights } from './strategies/synflow';
export { crossEntropy, lossGradient } from './loss';
export { INPUT_SAVING_GRADIENTS, MISSING_GRADIENTS, registerMissingGradients, withDoubleBackpropGradients } from './double_backprop';
export { impMaskAt, type ImpAtRequest, type ImpAtResult } from './imp_at';

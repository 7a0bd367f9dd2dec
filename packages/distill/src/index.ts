// @kdlts/distill: what KD-LTS distils from its teachers, and the losses it minimises.
export { gramMatrices, type GramOptions } from './gram';
export {
  DEFAULT_LOSS_WEIGHTS, distillationLoss, featureLoss, normalizeRows, relationLoss, responseLoss, softTargets,
  type LossParts, type LossWeights, type TeacherTargets,
} from './losses';
export { disposeTargets, teacherTargets } from './teacher_info';
export {
  resolveSearchConfig, SEARCH_INITS, searchMask, type ResolvedSearchConfig, type SearchConfig, type SearchInit, type SearchInput, type SearchResult, type SearchStep,
} from './search';
export { teacherSeeds, trainTeachers, type Teacher, type TeacherOptions } from './teachers';
export { TeacherTrainingAborted } from './teacher_workers';
export {
  KDLTS_DEFAULT_TEACHER_EPOCHS, KDLTS_DEFAULT_TEACHERS, KDLTS_MASK_FILE, KDLTS_REWIND_FILE, KDLTS_SEARCH_FILE, KDLTS_SUMMARY_FILE,
  KDLTS_TEACHERS_DIR, KDLTS_TICKET_DIR, runKdlts,
  type KdltsEvent, type KdltsRequest, type KdltsResult, type KdltsSearchRecord, type KdltsSummary,
} from './kdlts';

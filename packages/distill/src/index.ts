// @kdlts/distill: what KD-LTS distils from its teachers, and the losses it minimises.
export { gramMatrices, type GramOptions } from './gram';
export {
  DEFAULT_LOSS_WEIGHTS, distillationLoss, featureLoss, normalizeRows, relationLoss, responseLoss, softTargets,
  type LossParts, type LossWeights, type TeacherTargets,
} from './losses';
export { disposeTargets, teacherTargets } from './teacher_info';
export { searchMask, type SearchConfig, type SearchInput, type SearchResult, type SearchStep } from './search';
export { teacherSeeds, trainTeachers, type Teacher, type TeacherOptions } from './teachers';

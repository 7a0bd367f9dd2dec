// Every pruning method under one name list, one-shot, iterative and teacher-search alike, so the
// CLI, reports and experiment scripts can treat them uniformly: what a method is called, what it
// needs, and which entry point runs it (`prune` for one-shot strategies, `runImp` for the iterative
// ones, `runKdlts` of @kdlts/distill for KD-LTS, which depends on this package, not the reverse).
import { ITERATIVE_METHODS, ITERATIVE_METHOD_NAMES } from './iterative_methods';
import { METHOD_NAMES, STRATEGIES } from './strategies';

export interface MethodInfo {
  name: string;
  description: string;
  /**
   * one-shot: `prune()` scores once and selects; iterative: `runImp()` trains and prunes in rounds;
   * teacher-search: `runKdlts()` (@kdlts/distill) trains a teacher ensemble briefly, then searches
   * the mask by distillation.
   */
  kind: 'one-shot' | 'iterative' | 'teacher-search';
  /** It reads training data: batches for scoring (snip, grasp), the training set (imp, ltr, kdlts). */
  needsData: boolean;
  /** It trains networks to find the mask (its cost includes training). */
  trains: boolean;
}

/** The teacher-search methods (run by @kdlts/distill's runKdlts). */
export const TEACHER_SEARCH_METHODS: Readonly<Record<string, { name: string; description: string }>> = {
  kdlts: {
    name: 'kdlts',
    description:
      'KD-LTS: T teachers trained for E early epochs give response, feature and relation targets; relaxed mask scores are ' +
      'optimised against them with capped-simplex projection and rounded by exact top-k (at θ0, or θ_t with a rewind iteration)',
  },
};

export const TEACHER_SEARCH_METHOD_NAMES: readonly string[] = Object.keys(TEACHER_SEARCH_METHODS);

/** Names of every method: the one-shot strategies, then imp and ltr, then kdlts. */
export const ALL_METHOD_NAMES: readonly string[] = [...METHOD_NAMES, ...ITERATIVE_METHOD_NAMES, ...TEACHER_SEARCH_METHOD_NAMES];

const has = (o: object, name: string) => Object.prototype.hasOwnProperty.call(o, name);

export function isTeacherSearchMethod(name: string): boolean {
  return has(TEACHER_SEARCH_METHODS, name);
}

export function getMethod(name: string): MethodInfo {
  if (has(STRATEGIES, name)) {
    const s = STRATEGIES[name];
    return { name, description: s.description, kind: 'one-shot', needsData: s.needsData, trains: false };
  }
  if (has(ITERATIVE_METHODS, name)) {
    return { name, description: ITERATIVE_METHODS[name].description, kind: 'iterative', needsData: true, trains: true };
  }
  if (has(TEACHER_SEARCH_METHODS, name)) {
    return { name, description: TEACHER_SEARCH_METHODS[name].description, kind: 'teacher-search', needsData: true, trains: true };
  }
  throw new Error(`unknown method '${name}' (known: ${ALL_METHOD_NAMES.join(', ')})`);
}

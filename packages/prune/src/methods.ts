// Every pruning method under one name list, one-shot and iterative alike, so the CLI, reports and
// experiment scripts can treat them uniformly: what a method is called, what it needs, and which
// entry point runs it (`prune` for one-shot strategies, `runImp` for the iterative ones).
import { ITERATIVE_METHODS, ITERATIVE_METHOD_NAMES } from './iterative_methods';
import { METHOD_NAMES, STRATEGIES } from './strategies';

export interface MethodInfo {
  name: string;
  description: string;
  /** one-shot: `prune()` scores once and selects; iterative: `runImp()` trains and prunes in rounds. */
  kind: 'one-shot' | 'iterative';
  /** It reads training data: batches for scoring (snip, grasp), the training set (imp, ltr). */
  needsData: boolean;
  /** It trains the network to find the mask (its cost includes training). */
  trains: boolean;
}

/** Names of every method: the one-shot strategies, then imp and ltr. */
export const ALL_METHOD_NAMES: readonly string[] = [...METHOD_NAMES, ...ITERATIVE_METHOD_NAMES];

export function getMethod(name: string): MethodInfo {
  if (Object.prototype.hasOwnProperty.call(STRATEGIES, name)) {
    const s = STRATEGIES[name];
    return { name, description: s.description, kind: 'one-shot', needsData: s.needsData, trains: false };
  }
  if (Object.prototype.hasOwnProperty.call(ITERATIVE_METHODS, name)) {
    return { name, description: ITERATIVE_METHODS[name].description, kind: 'iterative', needsData: true, trains: true };
  }
  throw new Error(`unknown method '${name}' (known: ${ALL_METHOD_NAMES.join(', ')})`);
}

// The one-shot strategy registry: method name -> Strategy. Adding a strategy = one file + one line
// here. The iterative methods (imp, ltr) are in iterative_methods.ts; methods.ts lists both.
import { isIterativeMethod } from '../iterative_methods';
import { grasp } from './grasp';
import { magnitude } from './magnitude';
import { random } from './random';
import { randomErk } from './random_erk';
import { snip } from './snip';
import type { Strategy } from './strategy';
import { synflow } from './synflow';

export const STRATEGIES: Readonly<Record<string, Strategy>> = {
  magnitude,
  random,
  'random-erk': randomErk,
  snip,
  grasp,
  synflow,
};

export const METHOD_NAMES: readonly string[] = Object.keys(STRATEGIES);

export function getStrategy(name: string): Strategy {
  if (isIterativeMethod(name)) {
    throw new Error(`method '${name}' is iterative (it trains between prunings): run it with runImp, not prune (kdlts imp)`);
  }
  if (!Object.prototype.hasOwnProperty.call(STRATEGIES, name)) {
    throw new Error(`unknown method '${name}' (known: ${METHOD_NAMES.join(', ')})`);
  }
  return STRATEGIES[name];
}

// The iterative methods: they train the network between prunings, so they do not fit the one-shot
// Strategy contract (`prune(context) => Mask`) and run through `runImp` (imp.ts) instead. Listed
// here, beside the one-shot STRATEGIES, so that every method has one name in one place.

export interface IterativeMethod {
  name: string;
  description: string;
  /** Where the survivors are rewound to after each round. */
  rewind: 'init' | 'early';
}

export const ITERATIVE_METHODS: Readonly<Record<string, IterativeMethod>> = {
  imp: {
    name: 'imp',
    description: 'iterative magnitude pruning (lottery ticket hypothesis): train, prune p of the survivors by |w|, rewind to θ0; repeat',
    rewind: 'init',
  },
  ltr: {
    name: 'ltr',
    description: 'IMP with late rewinding: as imp, but the survivors rewind to θ_k, the weights after k iterations of dense training',
    rewind: 'early',
  },
};

export const ITERATIVE_METHOD_NAMES: readonly string[] = Object.keys(ITERATIVE_METHODS);

export function isIterativeMethod(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(ITERATIVE_METHODS, name);
}

import { getStrategy, METHOD_NAMES, STRATEGIES } from './index';

describe('strategy registry', () => {
  it('lists every baseline under its method name', () => {
    expect(METHOD_NAMES).toEqual(['magnitude', 'random', 'random-erk', 'snip', 'grasp', 'synflow']);
    for (const name of METHOD_NAMES) expect(getStrategy(name).name).toBe(name);
    expect(METHOD_NAMES.filter((m) => STRATEGIES[m].needsData)).toEqual(['snip', 'grasp']);
  });

  it('names the known methods when asked for an unknown one', () => {
    expect(() => getStrategy('lth')).toThrow("unknown method 'lth' (known: magnitude, random, random-erk, snip, grasp, synflow)");
    expect(() => getStrategy('imp')).toThrow("method 'imp' is iterative (it trains between prunings): run it with runImp");
    expect(() => getStrategy('toString')).toThrow("unknown method 'toString'");
  });
});

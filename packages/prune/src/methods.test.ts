import { ALL_METHOD_NAMES, getMethod } from './methods';

describe('method list', () => {
  it('names every method, one-shot and iterative, with its kind', () => {
    expect(ALL_METHOD_NAMES).toEqual(['magnitude', 'random', 'random-erk', 'snip', 'grasp', 'synflow', 'imp', 'ltr']);
    expect(ALL_METHOD_NAMES.filter((m) => getMethod(m).kind === 'iterative')).toEqual(['imp', 'ltr']);
    expect(ALL_METHOD_NAMES.filter((m) => getMethod(m).needsData)).toEqual(['snip', 'grasp', 'imp', 'ltr']);
    expect(getMethod('ltr')).toMatchObject({ name: 'ltr', trains: true });
    expect(getMethod('synflow')).toMatchObject({ kind: 'one-shot', trains: false });
  });

  it('names the known methods when asked for an unknown one', () => {
    expect(() => getMethod('lth')).toThrow("unknown method 'lth' (known: magnitude, random, random-erk, snip, grasp, synflow, imp, ltr)");
    expect(() => getMethod('constructor')).toThrow("unknown method 'constructor'");
  });
});

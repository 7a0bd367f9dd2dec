import { ALL_METHOD_NAMES, getMethod, isTeacherSearchMethod } from './methods';

describe('method list', () => {
  it('names every method once, one-shot, iterative, then teacher-search', () => {
    expect(ALL_METHOD_NAMES).toEqual(['magnitude', 'random', 'random-erk', 'snip', 'grasp', 'synflow', 'imp', 'ltr', 'kdlts']);
    expect(ALL_METHOD_NAMES.filter((m) => getMethod(m).kind === 'iterative')).toEqual(['imp', 'ltr']);
    expect(ALL_METHOD_NAMES.filter((m) => getMethod(m).kind === 'teacher-search')).toEqual(['kdlts']);
    expect(ALL_METHOD_NAMES.filter((m) => getMethod(m).needsData)).toEqual(['snip', 'grasp', 'imp', 'ltr', 'kdlts']);
    expect(ALL_METHOD_NAMES.filter((m) => getMethod(m).trains)).toEqual(['imp', 'ltr', 'kdlts']);
    expect(getMethod('ltr')).toMatchObject({ name: 'ltr', trains: true });
    expect(getMethod('synflow')).toMatchObject({ kind: 'one-shot', trains: false });
    expect(isTeacherSearchMethod('kdlts')).toBe(true);
    expect(isTeacherSearchMethod('imp')).toBe(false);
    expect(isTeacherSearchMethod('hasOwnProperty')).toBe(false);
  });

  it('rejects unknown names, including Object.prototype keys', () => {
    expect(() => getMethod('lth')).toThrow("unknown method 'lth' (known: magnitude, random, random-erk, snip, grasp, synflow, imp, ltr, kdlts)");
    expect(() => getMethod('constructor')).toThrow("unknown method 'constructor'");
  });
});

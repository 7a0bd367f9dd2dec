import { arg, eachFlag, finiteNumber, listArg, positiveArg } from './args';
import { parseScalingOptions } from './scaling';

const argv = ['node', 'x.js', '--seeds', '0,1, 2', '--empty', ',', '--out', 'f.json', '--bad', '1,x'];

test('arg: the value after the flag, undefined when absent', () => {
  expect(arg('--out', argv)).toBe('f.json');
  expect(arg('--missing', argv)).toBeUndefined();
});

test('listArg: trimmed items parsed; an empty list or a bad item is an error naming the flag', () => {
  expect(listArg('--seeds', finiteNumber('--seeds'), argv)).toEqual([0, 1, 2]);
  expect(listArg('--missing', String, argv)).toBeUndefined();
  expect(() => listArg('--empty', String, argv)).toThrow("--empty: expected a comma-separated list, got ','");
  expect(() => listArg('--bad', finiteNumber('--bad'), argv)).toThrow("--bad: 'x' is not a number");
});

test('eachFlag: --a b and --a=b forms, flags without values, a missing value and an unknown flag named', () => {
  const seen: [string, string | null][] = [];
  const visit = (flag: string, value: () => string) => {
    if (flag === '--quick') seen.push([flag, null]);
    else if (flag === '--out' || flag === '--n') seen.push([flag, value()]);
    else return false;
    return true;
  };
  eachFlag(['--out', 'a.json', '--quick', '--n=x=y'], 'usage: u', visit);
  expect(seen).toEqual([['--out', 'a.json'], ['--quick', null], ['--n', 'x=y']]);
  expect(() => eachFlag(['--out'], 'usage: u', visit)).toThrow('--out needs a value\nusage: u');
  expect(() => eachFlag(['--what=1'], 'usage: u', visit)).toThrow('unknown argument --what=1\nusage: u');
});

test('positiveArg: finite and > 0 (integers when asked), else the flag and the value named', () => {
  expect(positiveArg('--s', '2.5', false, 'u')).toBe(2.5);
  expect(positiveArg('--n', '3', true, 'u')).toBe(3);
  for (const bad of ['0', '-1', 'NaN', 'Infinity', '', 'x']) expect(() => positiveArg('--s', bad, false, 'u')).toThrow(`--s must be a positive number, got '${bad}'`);
  expect(() => positiveArg('--n', '1.5', true, 'u')).toThrow("--n must be a positive integer, got '1.5'");
});

test('parseScalingOptions (through eachFlag): values, defaults, and errors naming the flag', () => {
  const o = parseScalingOptions(['--widths=1,2', '--repeats', '3', '--out', 'x.json']);
  expect(o).toMatchObject({ model: 'lenet300', widths: [1, 2], repeats: 3, out: 'x.json' });
  expect(() => parseScalingOptions(['--repeats', '0'])).toThrow("--repeats must be a positive integer, got '0'");
  expect(() => parseScalingOptions(['--model', 'alexnet'])).toThrow("unknown model 'alexnet'");
  expect(() => parseScalingOptions(['--bogus'])).toThrow('unknown argument --bogus');
});

import { arg, finiteNumber, listArg } from './args';

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

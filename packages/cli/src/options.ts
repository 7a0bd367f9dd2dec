// Argument parsers for commander: each throws InvalidArgumentError with what was expected, and
// commander names the option in the message.
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer >= 0.');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a finite number >= 0.');
  return n;
}

export function fraction(value: string): number {
  const n = nonNegativeNumber(value);
  if (n >= 1) throw new InvalidArgumentError('expected a number in [0, 1).');
  return n;
}

/** "80,120" -> [80, 120]: ascending integers >= 0. */
export function intList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new InvalidArgumentError(`expected comma-separated integers >= 0, got '${p}'.`);
    return Number(p);
  });
  for (let i = 1; i < out.length; i++) {
    if (out[i] <= out[i - 1]) throw new InvalidArgumentError('expected ascending values.');
  }
  return out;
}

export function oneOf(choices: readonly string[]): (value: string) => string {
  return (value) => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    return value;
  };
}

/** A sparsity or fraction strictly between 0 and 1 (NaN, 0, 1 and beyond are refused). */
export function openFraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError('expected a number strictly between 0 and 1.');
  return n;
}

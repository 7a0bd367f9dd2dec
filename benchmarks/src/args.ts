// Flag reading for the benchmark scripts: `arg`/`listArg` for the scripts that take `--name value`
// pairs; `eachFlag`/`positiveArg` for those with a usage line and `--name=value` forms too
// (kernels.ts, training.ts, scaling.ts).

/** The value after `name` on the command line, or undefined. */
export function arg(name: string, argv: readonly string[] = process.argv): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** A comma-separated list after `name` (undefined when absent), each item parsed; an empty list is an error naming the flag. */
export function listArg<T>(name: string, parse: (item: string) => T, argv: readonly string[] = process.argv): T[] | undefined {
  const v = arg(name, argv);
  if (v === undefined) return undefined;
  const out = v.split(',').map((s) => s.trim()).filter(Boolean).map(parse);
  if (out.length === 0) throw new Error(`${name}: expected a comma-separated list, got '${v}'`);
  return out;
}

/** A parser for listArg: finite numbers, else an error naming the flag. */
export function finiteNumber(name: string): (item: string) => number {
  return (s) => {
    const x = Number(s);
    if (s.trim() === '' || !Number.isFinite(x)) throw new Error(`${name}: '${s}' is not a number`);
    return x;
  };
}

/**
 * Walks the arguments: visit(flag, value) for each, where value() is the flag's value (after `=`,
 * else the next argument; missing: an error with the usage). visit returns false for a flag it does
 * not know: an error naming the argument. --help / -h print the usage and exit.
 */
export function eachFlag(argv: readonly string[], usage: string, visit: (flag: string, value: () => string) => boolean): void {
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const [flag, inline] = raw.split(/=(.*)/s, 2);
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
      return v;
    };
    if (!visit(flag, value)) throw new Error(`unknown argument ${raw}\n${usage}`);
  }
}

/** A finite number > 0 (an integer when asked), else an error naming the flag and the value, with the usage. */
export function positiveArg(flag: string, v: string, integer: boolean, usage: string): number {
  const x = Number(v);
  if (v.trim() === '' || !(Number.isFinite(x) && x > 0) || (integer && !Number.isInteger(x))) {
    throw new Error(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got '${v}'\n${usage}`);
  }
  return x;
}

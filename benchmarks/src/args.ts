// Flag reading for the benchmark scripts that take `--name value` pairs (kernels.ts and
// scaling.ts parse their own, with `--name=value` forms and a usage line).

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

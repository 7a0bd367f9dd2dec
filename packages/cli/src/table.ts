// Fixed-width text tables for the terminal (also used by the benchmark scripts): columns as wide
// as their widest cell, numbers right-aligned.

export type Align = 'left' | 'right';

export function formatTable(header: string[], rows: string[][], align: Align[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (align[c] === 'right' ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export const percent = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`);
export const fixed = (x: number | undefined, digits = 4) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));

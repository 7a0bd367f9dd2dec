import { Mask } from './mask';
import { formatSparsityReport, sparsityReport } from './report';

describe('sparsity report', () => {
  const mask = new Mask([
    { name: 'conv1/kernel', shape: [3, 3, 1, 2], bits: Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1]) },
    { name: 'fc1/kernel', shape: [4, 2], bits: new Uint8Array(8) },
    { name: 'logits/kernel', shape: [2, 3], bits: Uint8Array.from([1, 1, 1, 1, 1, 0]) },
  ]);

  it('counts per layer and overall, and flags layer collapse', () => {
    const report = sparsityReport(mask);
    expect(report.layers).toEqual([
      { name: 'conv1/kernel', shape: [3, 3, 1, 2], size: 18, kept: 6, density: 6 / 18, collapsed: false },
      { name: 'fc1/kernel', shape: [4, 2], size: 8, kept: 0, density: 0, collapsed: true },
      { name: 'logits/kernel', shape: [2, 3], size: 6, kept: 5, density: 5 / 6, collapsed: false },
    ]);
    expect(report.total).toEqual({ size: 32, kept: 11, density: 11 / 32, sparsity: 1 - 11 / 32 });
    expect(report.collapsed).toEqual(['fc1/kernel']);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('prints a fixed-width table with a total and the collapse warning', () => {
    const text = formatSparsityReport(sparsityReport(mask));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^layer\s+shape\s+size\s+kept\s+density$/);
    expect(lines[2]).toBe('conv1/kernel   [3, 3, 1, 2]    18     6   33.33%');
    expect(lines[3]).toBe('fc1/kernel     [4, 2]           8     0    0.00%  COLLAPSED');
    expect(lines[4]).toBe('logits/kernel  [2, 3]           6     5   83.33%');
    expect(lines[6]).toBe('total                          32    11   34.38%');
    expect(lines[7]).toBe('layer collapse: fc1/kernel keeps no weights');
    // Right-aligned numbers: every row's density ends in the same column.
    const end = lines[2].indexOf('%');
    for (const i of [3, 4, 6]) expect(lines[i].indexOf('%')).toBe(end);
  });

  it('has no collapse line when no layer collapses', () => {
    const text = formatSparsityReport(sparsityReport(Mask.ones(mask.layers)));
    expect(text).not.toContain('collapse');
    expect(text).toContain('100.00%');
  });
});

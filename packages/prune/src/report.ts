// The sparsity report of a mask: per layer (shape, size, kept, density) and overall, as a
// JSON-ready object and as a fixed-width table. It flags layer collapse: a layer with weights
// of which none is kept cuts the network (every path through it is gone).
import { countOnes, formatShape, sizeOfShape, type Mask } from './mask';

export interface LayerSparsity {
  name: string;
  shape: number[];
  size: number;
  kept: number;
  /** kept / size (1 for an empty layer). */
  density: number;
  /** The layer has weights and keeps none of them. */
  collapsed: boolean;
}

export interface SparsityReport {
  layers: LayerSparsity[];
  total: { size: number; kept: number; density: number; sparsity: number };
  /** Names of the collapsed layers (empty when none). */
  collapsed: string[];
}

export function sparsityReport(mask: Mask): SparsityReport {
  const layers = mask.layers.map((l): LayerSparsity => {
    const size = sizeOfShape(l.shape);
    const kept = countOnes(l.bits);
    return { name: l.name, shape: [...l.shape], size, kept, density: size === 0 ? 1 : kept / size, collapsed: size > 0 && kept === 0 };
  });
  const size = layers.reduce((n, l) => n + l.size, 0);
  const kept = layers.reduce((n, l) => n + l.kept, 0);
  const density = size === 0 ? 1 : kept / size;
  return {
    layers,
    total: { size, kept, density, sparsity: 1 - density },
    collapsed: layers.filter((l) => l.collapsed).map((l) => l.name),
  };
}

/** The report as a fixed-width text table, one row per layer, a total row, and a collapse warning when any. */
export function formatSparsityReport(report: SparsityReport): string {
  const rows = report.layers.map((l) => [
    l.name,
    formatShape(l.shape),
    String(l.size),
    String(l.kept),
    percent(l.density),
    l.collapsed ? 'COLLAPSED' : '',
  ]);
  const { size, kept, density } = report.total;
  const header = ['layer', 'shape', 'size', 'kept', 'density', ''];
  const total = ['total', '', String(size), String(kept), percent(density), ''];
  const table = [header, ...rows, total];
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
  const numeric = [false, false, true, true, true, false];
  const line = (r: string[]) =>
    r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ').trimEnd();
  const lines = [line(header), rule, ...rows.map(line), rule, line(total)];
  if (report.collapsed.length) {
    lines.push(`layer collapse: ${report.collapsed.join(', ')} keep${report.collapsed.length === 1 ? 's' : ''} no weights`);
  }
  return lines.join('\n');
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

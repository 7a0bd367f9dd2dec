import { resolveSearchConfig } from '@kdlts/distill';
import { renderTuning } from './render-kdlts-tuning';
import type { TuningFile, TuningRecord } from './kdlts-tuning';
import type { TicketRecord, TicketResultsFile } from './ticket-results';

const rec = (variant: string, seed: number, sparsity: number, acc: number, o: Partial<TuningRecord> = {}): TuningRecord => ({
  variant, description: `${variant} described`, seed, sparsity, early: false, search: resolveSearchConfig({ sparsity, seed }),
  firstLoss: 8, lastRelaxedLoss: null, finalLoss: 2, finalStraightThrough: true, searchSeconds: 1, teacherSeconds: 1,
  finalAccuracy: acc, bestAccuracy: acc, ...o,
});

const file = (records: TuningRecord[]): TuningFile => ({ kind: 'kdlts-tuning', model: 'conv4', dataset: 'fashion-mnist', machine: 'm', budget: 'b', records });

const rowOf = (md: string, start: string): string => {
  const row = md.split('\n').find((l) => l.startsWith(start));
  if (!row) throw new Error(`no row starting '${start}' in\n${md}`);
  return row;
};

describe('renderTuning', () => {
  it('gives mean ± sample std over seeds per variant and sparsity', () => {
    const md = renderTuning(file([rec('st', 0, 0.8, 0.8), rec('st', 1, 0.8, 0.84), rec('st', 0, 0.95, 0.7), rec('relaxed', 0, 0.8, 0.6)]));
    // 'relaxed' is not in the registry: after the known ones.
    // 80, 84: mean 82, sample std sqrt(8) = 2.83.
    expect(rowOf(md, '| `st`')).toBe('| `st`: st described | 82.00 ± 2.83 | 70.00 (n = 1) | 8.00 → 2.00 | 8.00 → 2.00 |');
    expect(rowOf(md, '| `relaxed`')).toContain('| 60.00 (n = 1) | – |');
    expect(md.indexOf('`st`')).toBeLessThan(md.indexOf('`relaxed`'));
    expect(md).toContain('ticket acc. at 80% | ticket acc. at 95%');
  });

  it('shows the last relaxed loss in brackets when the search switched to straight-through', () => {
    const md = renderTuning(file([rec('mix', 0, 0.8, 0.7, { lastRelaxedLoss: 0.5, finalLoss: 9.5 })]));
    expect(rowOf(md, '| `mix`')).toContain('8.00 → 9.50 (0.500)');
  });

  it('lists the sweep methods of the same model and sparsities beside the variants', () => {
    const t = (method: string, model: string, sparsity: number, acc: number, seed = 0) =>
      ({ method, label: method.toUpperCase(), model, sparsity, seed, finalAccuracy: acc } as TicketRecord);
    const sweep = { kind: 'accuracy-sweep', profile: 'table', records: [t('snip', 'conv4', 0.8, 0.81), t('snip', 'conv4', 0.8, 0.83, 1), t('snip', 'lenet300', 0.8, 0.5), t('snip', 'conv4', 0.5, 0.9)] } as TicketResultsFile;
    const md = renderTuning(file([rec('st', 0, 0.8, 0.8)]), sweep);
    expect(rowOf(md, '| SNIP')).toBe('| SNIP | 82.00 ± 1.41 |');
  });

  it('orders variants as the registry does and escapes pipes inside cells', () => {
    const md = renderTuning(file([rec('st', 0, 0.8, 0.8), rec('relaxed-then-st', 0, 0.8, 0.2, { description: 'ranks of |θ|' })]));
    expect(md.indexOf('`relaxed-then-st`')).toBeLessThan(md.indexOf('`st`'));
    expect(md).toContain('ranks of \\|θ\\|');
    expect(md).toContain('# KD-LTS search settings on Conv-4');
  });

  it('refuses a file of another kind', () => {
    expect(() => renderTuning({ kind: 'accuracy-sweep' } as unknown as TuningFile)).toThrow(/kdlts-tuning/);
  });
});

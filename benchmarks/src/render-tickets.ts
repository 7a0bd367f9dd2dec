// Renders ticket-benchmark result files (ticket-results.ts) as markdown tables and SVG plots for
// docs/:
//   node dist/render-tickets.js RESULT.json [RESULT2.json ...] --out ../docs/NAME.md
//     [--plots-dir ../docs/plots] [--title "..."]
// Every number comes from the files. The functions are pure (no I/O) apart from readTicketResults
// and main, so tests can call them on a hand-made fixture.
import * as fs from 'fs';
import * as path from 'path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '@kdlts/train';
import { meanStd, type TicketRecord, type TicketResultsFile } from './ticket-results';

type Stat = ReturnType<typeof meanStd>;

/** One (model, method, sparsity) of a file: its seeds' records reduced to mean ± sample std. */
export interface TicketCell {
  model: string;
  dataset: string;
  method: string;
  label: string;
  sparsity: number;
  /** finalAccuracy as a fraction (0.85), not a percentage. */
  accuracy: Stat;
  timeToTicket: Stat;
  epochEquivalents: Stat;
  /** Per phase of the breakdown, in the order the records name them. */
  breakdown: { phase: string; seconds: Stat }[];
}

/** A result file as read, with the path a reader is shown. */
export interface LoadedResults {
  source: string;
  data: TicketResultsFile;
}

/** Cells in a stable order: models and methods as they first appear in the records, sparsity ascending. */
export function aggregate(records: readonly TicketRecord[]): TicketCell[] {
  const groups = new Map<string, TicketRecord[]>();
  for (const r of records) {
    const key = JSON.stringify([r.model, r.method, r.sparsity]);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const models = firstAppearance(records.map((r) => r.model));
  const methods = firstAppearance(records.map((r) => r.method));
  const cells = [...groups.values()].map((group): TicketCell => {
    const first = group[0];
    const phases = firstAppearance(group.flatMap((r) => Object.keys(r.breakdown ?? {})));
    return {
      model: first.model,
      dataset: first.dataset,
      method: first.method,
      label: first.label,
      sparsity: first.sparsity,
      accuracy: meanStd(group.map((r) => r.finalAccuracy)),
      timeToTicket: meanStd(group.map((r) => r.timeToTicketSeconds)),
      epochEquivalents: meanStd(group.map((r) => r.epochEquivalents)),
      breakdown: phases.map((phase) => ({
        phase,
        seconds: meanStd(group.filter((r) => r.breakdown?.[phase] !== undefined).map((r) => r.breakdown[phase])),
      })),
    };
  });
  return cells.sort(
    (a, b) => models.indexOf(a.model) - models.indexOf(b.model) || methods.indexOf(a.method) - methods.indexOf(b.method) || a.sparsity - b.sparsity,
  );
}

function firstAppearance(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// ---- reading and checking a file ----------------------------------------------------------

const KINDS: readonly TicketResultsFile['kind'][] = ['accuracy-sweep', 'time-to-ticket'];
const NUMERIC_FIELDS = ['sparsity', 'seed', 'finalAccuracy', 'timeToTicketSeconds', 'epochEquivalents'] as const;
const STRING_FIELDS = ['model', 'method', 'label'] as const;

/** Checks what the renderer relies on; every error names the file (and the record, when one is at fault). */
export function parseTicketResults(text: string, source: string): TicketResultsFile {
  let data: TicketResultsFile;
  try {
    data = JSON.parse(text) as TicketResultsFile;
  } catch (error) {
    throw new Error(`${source}: not valid JSON (${(error as Error).message})`);
  }
  if (data === null || typeof data !== 'object') throw new Error(`${source}: not a ticket results file (top level is not an object)`);
  if (!KINDS.includes(data.kind)) {
    throw new Error(`${source}: kind is ${JSON.stringify(data.kind)}, expected 'accuracy-sweep' or 'time-to-ticket'`);
  }
  if (!Array.isArray(data.records) || data.records.length === 0) throw new Error(`${source}: no records`);
  if (!data.machine || !data.budget) throw new Error(`${source}: no ${data.machine ? 'budget' : 'machine'}`);
  data.records.forEach((r, i) => {
    for (const field of STRING_FIELDS) {
      if (typeof r[field] !== 'string') throw new Error(`${source}: record ${i} has no string ${field}`);
    }
    for (const field of NUMERIC_FIELDS) {
      if (!Number.isFinite(r[field])) throw new Error(`${source}: record ${i} (${r.model} ${r.method}) has no finite ${field}`);
    }
  });
  return data;
}

export function readTicketResults(file: string): TicketResultsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read (${(error as Error).message})`);
  }
  return parseTicketResults(text, file);
}

// ---- number formats -----------------------------------------------------------------------

const MISSING = '—';

export function sparsityLabel(sparsity: number): string {
  return `${Number((100 * sparsity).toFixed(2))}%`;
}

/** Fewer decimals for larger numbers, so 0.042 s and 1234 s both read at a glance. */
function decimalsFor(x: number): number {
  const a = Math.abs(x);
  return a >= 100 || a === 0 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
}

function meanPlusMinus(s: Stat | undefined, scale = 1, decimals?: number): string {
  if (!s || !Number.isFinite(s.mean)) return MISSING;
  const d = decimals ?? decimalsFor(s.mean * scale);
  return `${(s.mean * scale).toFixed(d)} ± ${(s.std * scale).toFixed(d)}`;
}

function ratio(numerator: number, denominator: number): string {
  const r = numerator / denominator;
  return Number.isFinite(r) && denominator > 0 ? `${r.toFixed(r >= 10 ? 1 : 2)}×` : MISSING;
}

// ---- markdown -----------------------------------------------------------------------------

export interface RenderOptions {
  title?: string;
  /** The plots directory relative to the markdown file (e.g. 'plots'); no plots are linked when absent. */
  plotsHref?: string;
}

export function renderMarkdown(files: readonly LoadedResults[], opts: RenderOptions = {}): string {
  const plots = planPlots(files);
  const lines = [
    `# ${opts.title ?? 'Ticket benchmarks'}`,
    '',
    `Generated by \`benchmarks/src/render-tickets.ts\` from ${files.map((f) => `\`${f.source}\``).join(', ')}.`,
  ];
  for (const file of files) {
    const { data } = file;
    const m = data.machine;
    if (files.length > 1) lines.push('', `## \`${file.source}\``);
    lines.push(
      '',
      `Kind \`${data.kind}\`, profile \`${data.profile}\`, recorded ${data.date}. ` +
        `Machine: ${m.cpuModel}, ${m.logicalCpus} logical CPUs, ${m.memoryGiB} GiB, Node ${m.node}.`,
      '',
      `Budget: ${data.budget.description}`,
      ...(data.note ? ['', `**Note:** ${data.note}`] : []),
    );
    const cells = aggregate(data.records);
    for (const model of firstAppearance(cells.map((c) => c.model))) {
      const modelCells = cells.filter((c) => c.model === model);
      const heading = files.length > 1 ? '###' : '##';
      lines.push('', `${heading} ${model} (${modelCells[0].dataset})`, '');
      const images = data.budget.trainImages?.[model];
      if (images !== undefined) lines.push(`Training images: ${images}.`, '');
      if (data.kind === 'accuracy-sweep') lines.push(...sweepTables(modelCells));
      else lines.push(...timeToTicketTable(modelCells));
      if (opts.plotsHref !== undefined) {
        for (const plot of plots.filter((p) => p.source === file.source && p.model === model)) {
          lines.push('', `![${plot.title}](${opts.plotsHref}/${plot.fileName})`);
        }
      }
    }
  }
  return lines.join('\n') + '\n';
}

function methodsOf(cells: readonly TicketCell[]): { method: string; label: string }[] {
  return firstAppearance(cells.map((c) => c.method)).map((method) => ({ method, label: cells.find((c) => c.method === method)!.label }));
}

function sparsitiesOf(cells: readonly TicketCell[]): number[] {
  return [...new Set(cells.map((c) => c.sparsity))].sort((a, b) => a - b);
}

/** The seed count most cells have: said once in a note; a cell with another count says its own. */
function commonSeedCount(cells: readonly TicketCell[]): number {
  const frequency = new Map<number, number>();
  for (const c of cells) frequency.set(c.accuracy.n, (frequency.get(c.accuracy.n) ?? 0) + 1);
  // Ties go to the larger count: the run's intended number of seeds, the smaller ones unfinished.
  return [...frequency].sort(([nA, a], [nB, b]) => b - a || nB - nA)[0][0];
}

function sweepTables(cells: readonly TicketCell[]): string[] {
  const methods = methodsOf(cells);
  const sparsities = sparsitiesOf(cells);
  const n = commonSeedCount(cells);
  const cellAt = (method: string, s: number) => cells.find((c) => c.method === method && c.sparsity === s);
  const seeds = (c: TicketCell | undefined) => (c && c.accuracy.n !== n ? ` (n = ${c.accuracy.n})` : '');
  const lines = [
    `Final test accuracy (%) of the trained ticket, mean ± sample std over n = ${n} seeds per cell (${MISSING}: not run).`,
    '',
    `| method | ${sparsities.map(sparsityLabel).join(' | ')} |`,
    `|---|${sparsities.map(() => '---:|').join('')}`,
  ];
  for (const { method, label } of methods) {
    const row = sparsities.map((s) => {
      const c = cellAt(method, s);
      return meanPlusMinus(c?.accuracy, 100, 2) + seeds(c);
    });
    lines.push(`| ${label} | ${row.join(' | ')} |`);
  }
  lines.push(
    '',
    'Time to ticket (wall seconds to find the mask) and epoch-equivalents (passes over the training set spent finding it), mean ± std.',
    '',
    `| method | ${sparsities.map((s) => `${sparsityLabel(s)} time (s) | ${sparsityLabel(s)} epochs`).join(' | ')} |`,
    `|---|${sparsities.map(() => '---:|---:|').join('')}`,
  );
  for (const { method, label } of methods) {
    const row = sparsities.map((s) => {
      const c = cellAt(method, s);
      return `${meanPlusMinus(c?.timeToTicket)}${seeds(c)} | ${meanPlusMinus(c?.epochEquivalents)}`;
    });
    lines.push(`| ${label} | ${row.join(' | ')} |`);
  }
  return lines;
}

/** Each phase's mean seconds; `rounds` (IMP's round count, not a time) is shown as a count. */
function breakdownText(c: TicketCell): string {
  const phases = c.breakdown.filter((b) => b.phase !== 'rounds');
  const rounds = c.breakdown.find((b) => b.phase === 'rounds');
  if (phases.length === 0) return MISSING;
  const text = phases.map((b) => `${b.phase} ${b.seconds.mean.toFixed(decimalsFor(b.seconds.mean))} s`).join(', ');
  return rounds ? `${text} (${rounds.seconds.mean} rounds)` : text;
}

function timeToTicketTable(cells: readonly TicketCell[]): string[] {
  const lines = [
    'Mean ± sample std over seeds; the breakdown gives each phase\'s mean seconds.',
    '',
    '| method | sparsity | seeds | time to ticket (s) | epoch-equivalents | breakdown | ticket test acc (%) |',
    '|---|---:|---:|---:|---:|---|---:|',
  ];
  for (const c of cells) {
    lines.push(
      `| ${c.label} | ${sparsityLabel(c.sparsity)} | ${c.accuracy.n} | ${meanPlusMinus(c.timeToTicket)} | ${meanPlusMinus(c.epochEquivalents)} | ` +
        `${breakdownText(c)} | ${meanPlusMinus(c.accuracy, 100, 2)} |`,
    );
  }
  lines.push('');
  for (const s of sparsitiesOf(cells)) {
    const imp = cells.find((c) => c.method === 'imp' && c.sparsity === s);
    const kdlts = cells.find((c) => c.method === 'kdlts' && c.sparsity === s);
    if (!imp || !kdlts) {
      const missing = [imp ? undefined : "'imp'", kdlts ? undefined : "'kdlts'"].filter(Boolean).join(' and ');
      lines.push(`At ${sparsityLabel(s)}: no IMP / KD-LTS ratio, the file has no ${missing} records.`);
    } else {
      lines.push(
        `At ${sparsityLabel(s)}: IMP / KD-LTS time to ticket ${ratio(imp.timeToTicket.mean, kdlts.timeToTicket.mean)}, ` +
          `epoch-equivalents ${ratio(imp.epochEquivalents.mean, kdlts.epochEquivalents.mean)}.`,
      );
    }
  }
  return lines;
}

// ---- plots --------------------------------------------------------------------------------

export interface PlannedPlot {
  /** The SVG's file name inside the plots directory. */
  fileName: string;
  title: string;
  source: string;
  model: string;
  spec: TopLevelSpec;
}

/**
 * Every plot of every file. Names carry the input file's stem, so two docs sharing a plots
 * directory never overwrite each other's plots: <stem>-accuracy-<model>.svg and
 * <stem>-time-to-ticket-<model>.svg.
 */
export function planPlots(files: readonly LoadedResults[]): PlannedPlot[] {
  const plots: PlannedPlot[] = [];
  const taken = new Set<string>();
  const nameFor = (stem: string) => {
    let name = `${stem}.svg`;
    for (let i = 2; taken.has(name); i++) name = `${stem}-${i}.svg`;
    taken.add(name);
    return name;
  };
  for (const { source, data } of files) {
    const stem = slug(path.basename(source).replace(/\.json$/i, ''));
    const cells = aggregate(data.records);
    for (const model of firstAppearance(cells.map((c) => c.model))) {
      const modelCells = cells.filter((c) => c.model === model);
      if (data.kind === 'accuracy-sweep') {
        const title = `${model}: final test accuracy vs sparsity (mean ± std)`;
        plots.push({ fileName: nameFor(`${stem}-accuracy-${slug(model)}`), title, source, model, spec: accuracySpec(modelCells, title) });
      }
      const title = `${model}: time to ticket (mean ± std)`;
      plots.push({ fileName: nameFor(`${stem}-time-to-ticket-${slug(model)}`), title, source, model, spec: timeSpec(modelCells, title) });
    }
  }
  return plots;
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

/** Method order and colors fixed by the data, so the legend and the bytes of the SVG are stable. */
function colorByLabel(cells: readonly TicketCell[]) {
  const labels = methodsOf(cells).map((m) => m.label);
  // Opaque legend symbols even though the error band is faint; long labels (KD-LTS (θ_t, ...)) not cut.
  const legend = { symbolOpacity: 1, labelLimit: 400 };
  return { field: 'label', type: 'nominal', title: 'method', sort: labels, scale: { domain: labels }, legend } as const;
}

/** Accuracy vs sparsity: a line per method through the means, a faint band from mean − std to mean + std. */
export function accuracySpec(cells: readonly TicketCell[], title: string): TopLevelSpec {
  const values = cells.map((c) => ({
    label: c.label,
    sparsity: sparsityLabel(c.sparsity),
    mean: 100 * c.accuracy.mean,
    low: 100 * (c.accuracy.mean - c.accuracy.std),
    high: 100 * (c.accuracy.mean + c.accuracy.std),
  }));
  // Ordinal sparsity: the usual 50/80/90/95/98 grid reads evenly spaced, as the tables do.
  const x = { field: 'sparsity', type: 'ordinal', title: 'sparsity', sort: sparsitiesOf(cells).map(sparsityLabel), axis: { labelAngle: 0 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 360,
    height: 240,
    data: { values },
    encoding: { x, color: colorByLabel(cells) },
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'mean', type: 'quantitative', title: 'final test accuracy (%)', scale: { zero: false } } },
      },
    ],
  };
}

/** Time to ticket: a bar per method (grouped by sparsity when there are several), a rule for ± std; log y when the means span over 10×. */
export function timeSpec(cells: readonly TicketCell[], title: string): TopLevelSpec {
  const means = cells.map((c) => c.timeToTicket.mean);
  const smallest = Math.min(...means);
  const logScale = smallest > 0 && Math.max(...means) / smallest > 10;
  // A log axis has no zero: bars start, and lower whiskers are cut, at the power of ten below half
  // the smallest bar (a round number, so the axis ends there too).
  const floor = logScale ? 10 ** Math.floor(Math.log10(smallest / 2)) : -Infinity;
  const values = cells.map((c) => ({
    label: c.label,
    sparsity: sparsityLabel(c.sparsity),
    // Bars start here: a log axis has no zero for them to grow from.
    base: logScale ? floor : 0,
    mean: c.timeToTicket.mean,
    low: Math.max(c.timeToTicket.mean - c.timeToTicket.std, floor),
    high: c.timeToTicket.mean + c.timeToTicket.std,
  }));
  const sparsities = sparsitiesOf(cells);
  const labels = methodsOf(cells).map((m) => m.label);
  const grouped = sparsities.length > 1;
  const x = grouped
    ? ({ field: 'sparsity', type: 'ordinal', title: 'sparsity', sort: sparsities.map(sparsityLabel), axis: { labelAngle: 0 } } as const)
    : ({ field: 'label', type: 'nominal', title: `method (sparsity ${sparsityLabel(sparsities[0])})`, sort: labels, axis: { labelAngle: -30 } } as const);
  const xOffset = grouped ? { xOffset: { field: 'label', type: 'nominal', sort: labels } as const } : {};
  const yScale = logScale ? { type: 'log' as const, domainMin: floor } : { zero: true };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: grouped ? 120 * sparsities.length : 60 * labels.length,
    height: 240,
    data: { values },
    encoding: { x, ...xOffset, color: colorByLabel(cells) },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'mean', type: 'quantitative', title: `time to ticket (s${logScale ? ', log scale' : ''})`, scale: yScale },
          y2: { field: 'base' },
        },
      },
      { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
    ],
  };
}

/** SVG text of a vega-lite spec, rendered headless (no canvas: vega estimates text widths). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// ---- command line -------------------------------------------------------------------------

const USAGE = 'usage: render-tickets RESULT.json [RESULT2.json ...] --out FILE.md [--plots-dir DIR] [--title "..."]';

function parseArgs(args: readonly string[]): { inputs: string[]; out: string; plotsDir: string; title?: string } {
  const flags = new Map<string, string>();
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (['--out', '--plots-dir', '--title'].includes(args[i])) {
      if (args[i + 1] === undefined) throw new Error(`${args[i]} needs a value\n${USAGE}`);
      flags.set(args[i], args[++i]);
    } else if (args[i].startsWith('--')) throw new Error(`unknown flag ${args[i]}\n${USAGE}`);
    else inputs.push(args[i]);
  }
  const out = flags.get('--out');
  if (inputs.length === 0 || out === undefined) throw new Error(USAGE);
  return { inputs, out, plotsDir: flags.get('--plots-dir') ?? path.join(path.dirname(out), 'plots'), title: flags.get('--title') };
}

async function main(): Promise<void> {
  const { inputs, out, plotsDir, title } = parseArgs(process.argv.slice(2));
  const repoRoot = path.resolve(__dirname, '..', '..');
  const files = inputs.map((f) => ({ source: path.relative(repoRoot, path.resolve(f)), data: readTicketResults(f) }));
  // Links use '/' whatever the OS, and are relative to where the markdown lands.
  const plotsHref = path.relative(path.dirname(path.resolve(out)), path.resolve(plotsDir)).split(path.sep).join('/') || '.';
  for (const plot of planPlots(files)) writeFileAtomic(path.join(plotsDir, plot.fileName), await renderSvg(plot.spec));
  writeFileAtomic(out, renderMarkdown(files, { title, plotsHref }));
  console.log(`render-tickets: wrote ${out} and its plots in ${plotsDir}`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`render-tickets: ${error.message}`);
    process.exit(1);
  });
}

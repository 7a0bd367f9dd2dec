// Renders a scaling-benchmark result file (benchmarks/results/scaling-*.json, from scaling.ts) as
// markdown: `node dist/render-scaling.js RESULT.json [--out ../docs/scaling.md]`.
// Every number, in the tables and in the prose, is computed here from the file.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '@kdlts/train';

import type { Prediction, WidthMeasurement as Measurement } from './scaling';

export interface ScalingResult {
  date: string;
  machine: { cpuModel: string; logicalCpus: number; memoryGiB: number; node: string; kdlts: { gemmEngine: string } };
  backend: string;
  settings: {
    model: string; widths: number[]; batchSize: number; trainSize: number; timedSet: number; warmup: number; trainSteps: number;
    searchSteps: number; repeats: number; impEpochs: number; searchSparsity: number; inputShape: number[];
  };
  loadAverage?: number[];
  extrapolation: string;
  grid: { teachers: number[]; teacherEpochs: number[]; searchSteps: number[]; sparsities: number[]; pruneFraction: number };
  measurements: Measurement[];
  predictions: Prediction[];
}

/** The paper's headline time-to-ticket ratio. */
const HEADLINE = 19;

const fmt = (x: number, digits = 3) =>
  !Number.isFinite(x) ? '—' : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(digits);
const times = (x: number) => `${fmt(x)}×`;
const range = (xs: number[], f: (x: number) => string = fmt) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return f(lo) === f(hi) ? f(lo) : `${f(lo)}–${f(hi)}`;
};

function measurementTable(r: ScalingResult): string[] {
  const ts = r.grid.teachers;
  const lines = [
    `| width | n (prunable) | train step ms | masked step ms | ${ts.map((t) => `search step ms, T=${t}`).join(' | ')} | fit a + bT (ms) | prune ms | teacher epoch s | IMP round s | c = search step (T=3) in epochs |`,
    `|${'---:|'.repeat(9 + ts.length)}`,
  ];
  for (const m of r.measurements) {
    lines.push(
      `| ${m.width} | ${m.n.toLocaleString('en-US')} | ${fmt(m.trainStepMs)} | ${fmt(m.maskedStepMs)} | ` +
        `${ts.map((t) => fmt(m.searchStepMs[t])).join(' | ')} | ${fmt(m.searchFit.baseMs)} + ${fmt(m.searchFit.perTeacherMs)}·T | ` +
        `${fmt(m.pruneMs)} | ${fmt(m.teacherEpochS)} | ${fmt(m.impRoundS)} | ${m.searchStepEpochs.toExponential(2)} |`,
    );
  }
  return lines;
}

function growthSentence(r: ScalingResult): string {
  const ms = [...r.measurements].sort((a, b) => a.width - b.width);
  if (ms.length < 2) return '';
  const [a, b] = [ms[0], ms[ms.length - 1]];
  return (
    `From width ${a.width} to width ${b.width}, n grows ${times(b.n / a.n)}, the dense training step ` +
    `${times(b.trainStepMs / a.trainStepMs)}, the search step with 3 teachers ${times(b.searchStepMs[3] / a.searchStepMs[3])} ` +
    `and a prune ${times(b.pruneMs / a.pruneMs)}; c, the search step's cost in epochs, goes from ${a.searchStepEpochs.toExponential(2)} ` +
    `to ${b.searchStepEpochs.toExponential(2)}` +
    (b.searchStepEpochs > a.searchStepEpochs
      ? ': a search step grows faster than a training step. Besides its forward and backward passes it does O(n) work in ' +
        'JavaScript (Adam on the scores, writing θ ⊙ m into the weights) and the native projection every step.'
      : ': a search step grows no faster than a training step.')
  );
}

/** Largest S with ratio >= HEADLINE under the full model (-1: none, the teachers alone cost too much). */
export function maxSearchSteps(m: Measurement, p: Pick<Prediction, 'impSeconds' | 'teachers' | 'teacherEpochs'>): number {
  const stepS = (m.searchFit.baseMs + m.searchFit.perTeacherMs * p.teachers) / 1000;
  const left = p.impSeconds / HEADLINE - p.teachers * p.teacherEpochs * m.teacherEpochS - m.searchSetupMs / 1000;
  return left < 0 ? -1 : Math.floor(left / stepS);
}

function modelSection(r: ScalingResult): string[] {
  const ms = r.measurements;
  const mu = ms.map((m) => m.maskedStepMs / m.trainStepMs);
  const pi = ms.map((m) => m.pruneMs / 1000 / m.teacherEpochS);
  const sigma = ms.map((m) => m.searchSetupMs / 1000 / m.teacherEpochS);
  const dev = Math.max(...r.predictions.map((p) => Math.abs(p.simpleRatio / p.ratio - 1)));
  const rounds = r.grid.sparsities.map((s) => `R = ${r.predictions.find((p) => p.sparsity === s)!.rounds} at s = ${s}`);
  return [
    '## The time-to-ticket model',
    '',
    'Notation (per width): t_s a dense training step, t_m a training step under an IMP mask, t_p one magnitude prune of the ' +
      `survivors, spe = ⌈N_train / B⌉ steps per epoch, t_e = spe · t_s one epoch (a teacher's epoch), a + b·T one search step ` +
      'with T teachers (b: one teacher\'s forward pass, targets and Gram matrices), t_0 the search\'s one-off setup.',
    '',
    `- **IMP** to sparsity s with prune fraction p needs R = ⌈log(1 − s) / log(1 − p)⌉ rounds (${rounds.join(', ')}, p = ${r.grid.pruneFraction}); ` +
      'each trains E_imp epochs (round 1 dense, the others under the mask) and prunes once:  ' +
      '\n  `T_IMP = E_imp · spe · (t_s + (R − 1) · t_m) + R · t_p`.',
    '- **KD-LTS** trains T teachers for E_t epochs each, then runs S search steps (each: T teacher forwards, the student ' +
      'forward and backward on one batch, an Adam step and a projection of the scores):  ' +
      '\n  `T_KD = T · E_t · t_e + t_0 + S · (a + b·T)`.',
    '- Dividing both by t_e, with μ = t_m / t_s, π = t_p / t_e, σ = t_0 / t_e and c_T = (a + b·T) / t_e (a search step in epochs):',
    '',
    '  `ratio = T_IMP / T_KD = (E_imp · (1 + (R − 1) · μ) + R · π) / (T · E_t + σ + S · c_T)`',
    '',
    `  Measured here: μ = ${range(mu)}, π = ${range(pi, (x) => x.toExponential(1))}, σ = ${range(sigma, (x) => x.toExponential(1))}. ` +
      'With μ ≈ 1 and π, σ ≈ 0 this is',
    '',
    '  **`ratio ≈ R · E_imp / (T · E_t + S · c)`**',
    '',
    `  (c = c_T). Over the grid below the simple form differs from the full one (which the tables use) by at most ${(100 * dev).toFixed(1)}%` +
      (Math.max(...mu.map((x) => Math.abs(x - 1))) > 0.1 ? ', mostly through μ, whose departure from 1 here is largely timing noise on a shared machine. ' : '. ') +
      'Both sides are in epoch-equivalents, so the ratio carries over to other machines as long as c (a search step against ' +
      'a training epoch) does.',
    '',
  ];
}

function headlineSection(r: ScalingResult): string[] {
  const { grid, settings } = r;
  const ms = [...r.measurements].sort((a, b) => a.width - b.width);
  const impEpochs = settings.impEpochs;
  const lines = [
    `## When does IMP take ${HEADLINE}× as long?`,
    '',
    `Setting the ratio to ${HEADLINE}: KD-LTS may spend B = R · E_imp / ${HEADLINE} epochs, T · E_t + S · c ≤ B. With E_imp = ${impEpochs} ` +
      `(${settings.model}'s preset):`,
    '',
  ];
  for (const s of grid.sparsities) {
    const R = r.predictions.find((p) => p.sparsity === s)!.rounds;
    lines.push(`- s = ${s}: R = ${R}, IMP costs R · E_imp = ${R * impEpochs} epochs, so B = ${fmt((R * impEpochs) / HEADLINE)} epochs.`);
  }
  const sc = (S: number) => range(ms.map((m) => S * m.searchStepEpochs), (x) => x.toFixed(2));
  const sMid = grid.searchSteps[Math.floor(grid.searchSteps.length / 2)];
  const sMax = Math.max(...grid.searchSteps);
  const defaults = r.predictions.filter((p) => p.teachers === 3 && p.teacherEpochs === 1 && p.searchSteps === sMid);
  const teacherShare = ms.map((m) => {
    const p = defaults.find((d) => d.width === m.width)!;
    return (3 * m.teacherEpochS) / p.kdltsSeconds;
  });
  const hits = r.predictions.filter((p) => p.ratio >= HEADLINE).length;
  const teachersDominate = Math.min(...teacherShare) > 0.5;
  lines.push(
    '',
    `In these units S · c is ${sc(sMid)} epochs at S = ${sMid} and ${sc(sMax)} at S = ${sMax} across the widths measured, ` +
      `against T · E_t = 3 epochs for 3 teachers trained one epoch each: with S = ${sMid} the teachers are ` +
      `${range(teacherShare.map((x) => 100 * x), (x) => x.toFixed(0))}% of KD-LTS's time. ` +
      (teachersDominate
        ? `So the teacher budget T · E_t decides the ratio: ${HEADLINE}× or more needs T · E_t ≤ B − S · c, and the ratio falls like 1 / (T · E_t) as it grows. `
        : `So both terms matter: ${HEADLINE}× or more needs T · E_t + S · c ≤ B. `) +
      `With T = 3 teachers and S = ${sMid} steps that leaves E_t ≤ (B − ${sMid} · c) / 3 teacher epochs: ` +
      grid.sparsities
        .map((s) => {
          const B = (r.predictions.find((p) => p.sparsity === s)!.rounds * impEpochs) / HEADLINE;
          return `${range(ms.map((m) => (B - sMid * m.searchStepEpochs) / 3), (x) => x.toFixed(1))} at s = ${s}`;
        })
        .join(', ') +
      ' (across the widths). A longer IMP schedule (more epochs per round, or a higher sparsity, i.e. more rounds) raises B ' +
      'in proportion. A wider model changes, in the simple form, only c, so the ratio moves with width only as much as c does: ' +
      `at T = 3, E_t = 1, S = ${sMid}, s = ${grid.sparsities[0]} it is ` +
      ms
        .map((m) => `${defaults.find((d) => d.width === m.width && d.sparsity === grid.sparsities[0])!.ratio.toFixed(1)}× at width ${m.width}`)
        .join(', ') +
      '.',
    '',
    `${hits} of the ${r.predictions.length} grid cells (all widths) reach ${HEADLINE}× or more. ` +
      `The largest number of search steps S that still gives ${HEADLINE}× (full model; "none": the teachers alone cost more than IMP / ${HEADLINE}):`,
    '',
    `| s | T | E_t | ${ms.map((m) => `width ${m.width}`).join(' | ')} |`,
    `|---:|---:|---:|${'---:|'.repeat(ms.length)}`,
  );
  for (const s of grid.sparsities) {
    for (const T of grid.teachers) {
      for (const E of grid.teacherEpochs) {
        const cells = ms.map((m) => {
          const p = r.predictions.find((q) => q.width === m.width && q.sparsity === s && q.teachers === T && q.teacherEpochs === E)!;
          const k = maxSearchSteps(m, p);
          return k < 0 ? 'none' : k.toLocaleString('en-US');
        });
        lines.push(`| ${s} | ${T} | ${E} | ${cells.join(' | ')} |`);
      }
    }
  }
  lines.push('');
  return lines;
}

function gridSection(r: ScalingResult): string[] {
  const { grid } = r;
  const lines = [
    '## Predicted ratio IMP / KD-LTS',
    '',
    `p = ${grid.pruneFraction}, E_imp = ${r.settings.impEpochs}; columns: search steps S. Cells at ${HEADLINE}× or more are bold.`,
    '',
  ];
  for (const m of [...r.measurements].sort((a, b) => a.width - b.width)) {
    lines.push(
      `### Width ${m.width} (n = ${m.n.toLocaleString('en-US')})`,
      '',
      `| s | R | T | E_t | ${grid.searchSteps.map((S) => `S = ${S}`).join(' | ')} |`,
      `|---:|---:|---:|---:|${'---:|'.repeat(grid.searchSteps.length)}`,
    );
    for (const s of grid.sparsities) {
      for (const T of grid.teachers) {
        for (const E of grid.teacherEpochs) {
          const row = grid.searchSteps.map(
            (S) => r.predictions.find((p) => p.width === m.width && p.sparsity === s && p.teachers === T && p.teacherEpochs === E && p.searchSteps === S)!,
          );
          const cells = row.map((p) => (p.ratio >= HEADLINE ? `**${p.ratio.toFixed(1)}**` : p.ratio.toFixed(1)));
          lines.push(`| ${s} | ${row[0].rounds} | ${T} | ${E} | ${cells.join(' | ')} |`);
        }
      }
    }
    lines.push('');
  }
  return lines;
}

export function renderScaling(r: ScalingResult, source: string): string {
  const s = r.settings;
  const m = r.machine;
  const load = r.loadAverage?.length ? ` 1-minute load average during the run: ${range(r.loadAverage, (x) => x.toFixed(2))} (a shared machine: timings move with it).` : '';
  return [
    '# Scaling: a KD-LTS search step and an IMP round against model width',
    '',
    `${s.model} at widths ${s.widths.join(', ')} (BuildOptions.width: every hidden layer's units or filters × width), ` +
      `input ${s.inputShape.join('×')}, batch ${s.batchSize}, on the kdlts backend (${r.backend}). ` +
      `Machine: ${m.cpuModel}, ${m.logicalCpus} threads, ${m.memoryGiB} GiB, Node ${m.node}, kdlts GEMM engine ${m.kdlts.gemmEngine}; ${r.date.slice(0, 10)}.${load}`,
    '',
    `Timed: ${s.trainSteps} training steps and ${s.searchSteps} search steps (sparsity ${s.searchSparsity}) after ${s.warmup} warm-up steps each, ` +
      `on ${s.timedSet.toLocaleString('en-US')} synthetic images; medians of ${s.repeats} interleaved repeat(s). Teachers are untrained ` +
      `(the cost does not depend on their weights). Epochs are extrapolated to N_train = ${s.trainSize.toLocaleString('en-US')}.`,
    '',
    `Generated by \`benchmarks/src/render-scaling.ts\` from \`${source}\`.`,
    '',
    '## Measurements',
    '',
    ...measurementTable(r),
    '',
    growthSentence(r),
    '',
    `Extrapolation: ${r.extrapolation}`,
    '',
    ...modelSection(r),
    ...headlineSection(r),
    ...gridSection(r),
  ].join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const files = args.filter((a, i) => !a.startsWith('--') && (outAt < 0 || i !== outAt + 1));
  if (files.length !== 1 || (outAt >= 0 && !out)) {
    console.error('usage: render-scaling.js RESULT.json [--out FILE.md]');
    process.exit(2);
  }
  let result: ScalingResult;
  try {
    result = JSON.parse(fs.readFileSync(files[0], 'utf8')) as ScalingResult;
  } catch (error) {
    console.error(`render-scaling: cannot read ${files[0]}: ${(error as Error).message}`);
    process.exit(1);
  }
  const markdown = renderScaling(result, path.relative(path.resolve(__dirname, '..', '..'), path.resolve(files[0])));
  if (out) writeFileAtomic(out, markdown);
  else process.stdout.write(markdown);
}

if (require.main === module) main();

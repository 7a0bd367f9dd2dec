// KD-LTS search settings, compared on one model budget of the accuracy sweep: every variant searches
// a mask from the same teachers (one ensemble per seed) and trains its ticket with the sweep's budget.
//   node dist/kdlts-tuning.js [--model conv4] [--variants a,b] [--sparsities 0.8,0.95] [--seeds 0]
//        [--runs-dir DIR] [--out FILE]
// Each (seed, variant, sparsity) is its own resumable run directory; the result file is rewritten
// after every cell. render-kdlts-tuning.ts turns it into docs/kdlts-tuning.md.
import * as fs from 'fs';
import * as path from 'path';
import { useBackend } from '@kdlts/backend';
import { resolveSearchConfig, runKdlts, type KdltsSearchRecord, type ResolvedSearchConfig, type SearchInit } from '@kdlts/distill';
import { readJsonIfExists } from '@kdlts/train';

import { SWEEP_PROFILES } from './accuracy-sweep';
import { arg, finiteNumber, listArg } from './args';
import { describeMachine, machineLine } from './machine';
import { defaultResultsPath, writeJsonAtomic } from './results';
import { budgetData, budgetTraining } from './ticket-runner';

export interface TuningVariant {
  description: string;
  /** Search at θ_t (the budget's rewind iteration) instead of θ0. */
  early: boolean;
  search: { lr?: number; straightThroughFrom?: number; init?: SearchInit; layerwise?: boolean; stepsFactor?: number; weights?: Record<string, number> };
}

/**
 * The variants: the first sweep's settings, then one change at a time. Every variant names its
 * settings (not the defaults of the day); "global ranks" = |θ| ranked over all layers, "ranks within
 * each layer" = the default init since (see docs/distillation.md).
 */
const GLOBAL = { init: 'magnitude' } as const;
const LAYER = { init: 'layer-magnitude' } as const;
export const TUNING_VARIANTS: Record<string, TuningVariant> = {
  'relaxed-then-st': { description: 'relaxed for 75% of the steps, then straight-through; global ranks; lr 0.05 (the first sweep)', early: false, search: { straightThroughFrom: 0.75, ...GLOBAL, lr: 0.05 } },
  'relaxed-then-st-early': { description: 'relaxed for 75% of the steps, then straight-through; global ranks; lr 0.05; at θ_t (the first sweep)', early: true, search: { straightThroughFrom: 0.75, ...GLOBAL, lr: 0.05 } },
  'st': { description: 'straight-through from the first step; global ranks; lr 0.05', early: false, search: { straightThroughFrom: 0, ...GLOBAL, lr: 0.05 } },
  'st-early': { description: 'straight-through from the first step; global ranks; lr 0.05; at θ_t', early: true, search: { straightThroughFrom: 0, ...GLOBAL, lr: 0.05 } },
  'st-lr0.01': { description: 'straight-through; global ranks; lr 0.01', early: false, search: { straightThroughFrom: 0, ...GLOBAL, lr: 0.01 } },
  'st-layer-init': { description: 'straight-through; ranks within each layer; lr 0.05', early: false, search: { straightThroughFrom: 0, ...LAYER, lr: 0.05 } },
  'st-layer-init-lr0.01': { description: 'straight-through; ranks within each layer; lr 0.01 (the defaults since)', early: false, search: { straightThroughFrom: 0, ...LAYER, lr: 0.01 } },
  'st-layer-init-lr0.01-early': { description: 'straight-through; ranks within each layer; lr 0.01; at θ_t (the defaults since)', early: true, search: { straightThroughFrom: 0, ...LAYER, lr: 0.01 } },
  'st-layer-init-lr0.003': { description: 'straight-through; ranks within each layer; lr 0.003', early: false, search: { straightThroughFrom: 0, ...LAYER, lr: 0.003 } },
  'st-layer-init-lr0.01-response': { description: 'straight-through; ranks within each layer; lr 0.01; response term only (β = γ = 0)', early: false, search: { straightThroughFrom: 0, ...LAYER, lr: 0.01, weights: { beta: 0, gamma: 0 } } },
  'st-layer-init-lr0.01-ce': { description: 'straight-through; ranks within each layer; lr 0.01; plus the label cross-entropy (weight 1)', early: false, search: { straightThroughFrom: 0, ...LAYER, lr: 0.01, weights: { ce: 1 } } },
  'st-layer-init-lr0.01-400': { description: 'straight-through; ranks within each layer; lr 0.01; 4× the search steps', early: false, search: { straightThroughFrom: 0, ...LAYER, lr: 0.01, stepsFactor: 4 } },
  'st-layer-init-lr0.01-layerwise': { description: 'straight-through; ranks within each layer; lr 0.01; one budget per layer', early: false, search: { straightThroughFrom: 0, ...LAYER, lr: 0.01, layerwise: true } },
};

export interface TuningRecord {
  variant: string;
  description: string;
  seed: number;
  sparsity: number;
  early: boolean;
  /** The search's settings as run, every default filled in. */
  search: ResolvedSearchConfig;
  /** Distillation loss at the first step, at the last relaxed step (if any), and at the last step. */
  firstLoss: number;
  lastRelaxedLoss: number | null;
  finalLoss: number;
  /** Whether the last step's forward used the binary mask (then finalLoss is the ticket's own loss on that batch). */
  finalStraightThrough: boolean;
  searchSeconds: number;
  teacherSeconds: number;
  finalAccuracy: number;
  bestAccuracy: number;
}

export interface TuningFile {
  kind: 'kdlts-tuning';
  model: string;
  dataset: string;
  machine: string;
  budget: string;
  records: TuningRecord[];
}

async function main(): Promise<void> {
  await useBackend({ backend: 'kdlts' });
  const model = arg('--model') ?? 'conv4';
  const budget = SWEEP_PROFILES.table.models.find((b) => b.model === model);
  if (!budget) throw new Error(`--model: the table profile has ${SWEEP_PROFILES.table.models.map((b) => b.model).join(', ')}`);
  const variantNames = listArg('--variants', String) ?? Object.keys(TUNING_VARIANTS);
  for (const v of variantNames) if (!TUNING_VARIANTS[v]) throw new Error(`--variants: unknown variant '${v}' (known: ${Object.keys(TUNING_VARIANTS).join(', ')})`);
  const sparsities = listArg('--sparsities', finiteNumber('--sparsities')) ?? [0.8, 0.95];
  const seeds = listArg('--seeds', finiteNumber('--seeds')) ?? [0];
  const runsDir = path.resolve(arg('--runs-dir') ?? path.join(__dirname, '..', 'results', 'local', 'tuning'));
  const out = path.resolve(arg('--out') ?? defaultResultsPath('kdlts-tuning', { suffix: model }));
  const kd = SWEEP_PROFILES.table.kdlts;
  const steps = budget.searchSteps ?? kd.searchSteps;
  const batchSize = budget.searchBatchSize ?? kd.searchBatchSize;
  const rewindAt = budget.rewindIteration ?? kd.rewindIteration;
  const data = budgetData(budget, arg('--data-dir'));
  const previous = readJsonIfExists<TuningFile>(out);
  const records: TuningRecord[] = previous?.records ?? [];
  const file = (): TuningFile => ({
    kind: 'kdlts-tuning', model, dataset: budget.dataset, machine: machineLine(describeMachine()),
    budget: `${model} on ${budget.dataset}: ${data.train.count} training images, ${data.test?.count} test images, tickets trained ${budget.epochs} epochs; ` +
      `${kd.teachers} teachers × ${kd.teacherEpochs} epoch; search ${steps} steps of ${batchSize}; θ_t at t = ${rewindAt}; seeds ${seeds.join(', ')}`,
    records,
  });
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  for (const seed of seeds) {
    const { config } = budgetTraining(budget, seed, data.train.count);
    const group = path.join(runsDir, `${model}-${budget.dataset}`, `seed-${seed}`);
    // θ_t variants first: teacher 0 keeps θ_t only in the run that trains it.
    const ordered = [...variantNames].sort((a, b) => Number(TUNING_VARIANTS[b].early) - Number(TUNING_VARIANTS[a].early));
    for (const name of ordered) {
      const v = TUNING_VARIANTS[name];
      for (const sparsity of sparsities) {
        if (records.some((r) => r.variant === name && r.seed === seed && r.sparsity === sparsity)) continue;
        log(`${model} seed ${seed}: ${name} at sparsity ${sparsity}`);
        const dir = path.join(group, `${name}-s${sparsity}`);
        const { stepsFactor = 1, ...search } = v.search;
        const { summary } = await runKdlts({
          model, modelSeed: seed, data, sparsity, config, teachers: kd.teachers, teacherEpochs: kd.teacherEpochs,
          search: { steps: steps * stepsFactor, batchSize, ...search }, rewindIteration: v.early ? rewindAt : 0,
          outDir: dir, teachersDir: path.join(group, 'teachers'),
        });
        const history = (JSON.parse(fs.readFileSync(path.join(dir, 'search.json'), 'utf8')) as KdltsSearchRecord).history;
        const relaxed = history.filter((h) => !h.straightThrough);
        const last = history[history.length - 1];
        const record: TuningRecord = {
          variant: name, description: v.description, seed, sparsity, early: v.early,
          search: resolveSearchConfig({ seed: config.seed, steps: steps * stepsFactor, batchSize, ...search, sparsity }),
          firstLoss: summary.search.firstLoss, lastRelaxedLoss: relaxed.length ? relaxed[relaxed.length - 1].loss : null,
          finalLoss: summary.search.finalLoss, finalStraightThrough: last?.straightThrough ?? false,
          searchSeconds: summary.search.seconds, teacherSeconds: summary.teachers.seconds,
          finalAccuracy: summary.ticket!.finalAccuracy, bestAccuracy: summary.ticket!.bestAccuracy,
        };
        records.push(record);
        writeJsonAtomic(out, file());
        log(`  loss ${record.firstLoss.toFixed(3)} → ${record.finalLoss.toFixed(3)}, ticket ${(100 * record.finalAccuracy).toFixed(2)}%`);
      }
    }
  }
  writeJsonAtomic(out, file());
  process.stderr.write(`${records.length} records; wrote ${out}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`kdlts-tuning: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

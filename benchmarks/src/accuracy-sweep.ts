// The accuracy-vs-sparsity table: every method at several sparsities on LeNet-300-100 and Conv-4
// (Fashion-MNIST), each ticket trained from its rewind point with one stated budget, over seeds.
//   node dist/accuracy-sweep.js [--profile table|smoke] [--models lenet300,conv4] [--methods a,b]
//        [--sparsities 0.5,0.9] [--seeds 0,1] [--runs-dir DIR] [--out FILE] [--note TEXT]
// --note: a line every rendering shows (e.g. that the timings were taken on a shared machine).
// Resumable: every cell lives in its own run directory under --runs-dir (default
// benchmarks/results/local/runs), so running the same command again continues where it stopped.
// render-tickets.ts turns the result file into docs/accuracy-sparsity.md and its plots.
import * as path from 'path';

import { arg, finiteNumber, listArg } from './args';
import { defaultResultsPath } from './results';
import { runPlans } from './ticket-plans';
import { RUNNER_METHODS, type ModelBudget, type RunnerOptions } from './ticket-runner';

interface SweepProfile {
  models: ModelBudget[];
  sparsities: number[];
  seeds: number[];
  methods: readonly string[];
  kdlts: RunnerOptions['kdlts'];
}

const KDLTS = { teachers: 3, teacherEpochs: 1, searchSteps: 200, searchBatchSize: 128, rewindIteration: 100 };

/**
 * 'table': what docs/accuracy-sparsity.md shows. LeNet-300-100 gets all of Fashion-MNIST and 5 of
 * its 20 preset epochs; Conv-4 (about 470 images/s on 2 cores) a 5,000-image subset for 2 epochs.
 */
export const SWEEP_PROFILES: Record<string, SweepProfile> = {
  table: {
    models: [
      { model: 'lenet300', dataset: 'fashion-mnist', epochs: 5, rewindIteration: 100 },
      { model: 'conv4', dataset: 'fashion-mnist', epochs: 2, trainImages: 5000, testImages: 2000, searchSteps: 100, searchBatchSize: 64, rewindIteration: 20 },
    ],
    sparsities: [0.5, 0.8, 0.9, 0.95, 0.98],
    seeds: [0, 1],
    methods: RUNNER_METHODS.filter((m) => m !== 'ltr'),
    kdlts: KDLTS,
  },
  smoke: {
    models: [{ model: 'lenet300', dataset: 'fashion-mnist', epochs: 1, trainImages: 2000, testImages: 1000, searchSteps: 20, rewindIteration: 5 }],
    sparsities: [0.9],
    seeds: [0],
    methods: RUNNER_METHODS,
    kdlts: { ...KDLTS, searchSteps: 20 },
  },
};

async function main(): Promise<void> {
  const profileName = arg('--profile') ?? 'table';
  const profile = SWEEP_PROFILES[profileName];
  if (!profile) throw new Error(`--profile: unknown profile '${profileName}' (known: ${Object.keys(SWEEP_PROFILES).join(', ')})`);
  const models = listArg('--models', String);
  const budgets = profile.models.filter((b) => !models || models.includes(b.model));
  if (models && budgets.length !== models.length) throw new Error(`--models: the profile '${profileName}' has ${profile.models.map((b) => b.model).join(', ')}`);
  const methods = listArg('--methods', String) ?? profile.methods;
  const sparsities = listArg('--sparsities', finiteNumber('--sparsities')) ?? profile.sparsities;
  const seeds = listArg('--seeds', finiteNumber('--seeds')) ?? profile.seeds;
  const runsDir = path.resolve(arg('--runs-dir') ?? path.join(__dirname, '..', 'results', 'local', 'runs'));
  const out = path.resolve(arg('--out') ?? defaultResultsPath('accuracy-sweep', { suffix: profileName, local: profileName === 'smoke' }));
  const options: RunnerOptions = {
    runsDir, kdlts: profile.kdlts, imp: { pruneFraction: 0.2 }, scoringBatches: 1, dataDir: arg('--data-dir'),
    log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  };
  // Seeds outermost: a stopped sweep has every cell of the first seeds rather than half of every cell.
  const plans = seeds.flatMap((seed) => budgets.map((budget) => ({ budget, seed, methods, sparsities })));
  const file = await runPlans('accuracy-sweep', profileName, plans, profile.models, options, out, arg('--note'));
  process.stderr.write(`${file.records.length} tickets; wrote ${out}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`accuracy-sweep: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

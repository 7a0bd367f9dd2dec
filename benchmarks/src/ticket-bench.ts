// The time-to-ticket benchmark: in one run on one engine, find a ticket at the target sparsity with
// IMP and with KD-LTS (and, as options, LTR, SNIP, GraSP, SynFlow, ...), train every ticket with
// the same budget and seeds, and report time-to-ticket (wall seconds), its epoch-equivalents, the
// ratio IMP / KD-LTS of both, and each ticket's final-epoch accuracy.
//   npm run bench:ticket -- [--profile cpu|medium|paper] [--model M] [--sparsity S] [--seeds 0,1]
//        [--methods imp,kdlts,snip] [--threshold X] [--runs-dir DIR] [--out FILE] [--data-dir DIR]
// Exits 1 when the time-to-ticket ratio IMP / KD-LTS falls below --threshold (a release gate);
// the figure is never asserted in a unit test. Resumable like the sweep (one directory per cell).
import * as path from 'path';
import { formatTable } from '@kdlts/cli';
import { loadDataset, type DatasetName } from '@kdlts/data';

import { arg, finiteNumber, listArg } from './args';
import { meanStd, type TicketRecord } from './ticket-results';
import { defaultResultsPath } from './results';
import { modelTitle, runPlans } from './ticket-plans';
import { RUNNER_METHODS, type KdltsBudget, type ModelBudget, type RunnerOptions } from './ticket-runner';

export interface BenchProfile {
  description: string;
  budget: ModelBudget;
  sparsity: number;
  seeds: number[];
  kdlts: KdltsBudget;
  /** CIFAR-10 missing: run on synthetic CIFAR-shaped data instead, and say so (medium only). */
  syntheticFallback?: DatasetName;
}

const KDLTS: KdltsBudget = { teachers: 3, teacherEpochs: 1, searchSteps: 200, searchBatchSize: 128, rewindIteration: 100 };

export const BENCH_PROFILES: Record<string, BenchProfile> = {
  cpu: {
    description: 'CPU default (scaled down): LeNet-300-100 on Fashion-MNIST at 95% sparsity, 5 epochs per IMP round and per ticket (preset 20), 1 seed',
    budget: { model: 'lenet300', dataset: 'fashion-mnist', epochs: 5 },
    sparsity: 0.95,
    seeds: [0],
    kdlts: KDLTS,
  },
  medium: {
    description: 'medium (scaled down): ResNet-20 on CIFAR-10 at 65% sparsity, 10,000 training images, 2 epochs per IMP round and per ticket (preset 160)',
    budget: { model: 'resnet20', dataset: 'cifar10', epochs: 2, trainImages: 10000, testImages: 2000, searchSteps: 100, searchBatchSize: 64, rewindIteration: 50 },
    sparsity: 0.65,
    seeds: [0],
    kdlts: KDLTS,
    syntheticFallback: 'synthetic-cifar10',
  },
  paper: {
    description: "the paper's protocol: ResNet-20 on CIFAR-10 at 65% sparsity, 160 epochs per IMP round and per ticket (lr 0.1, ×0.1 at 80/120), 3 seeds (add --model vgg16 --sparsity 0.95 for VGG-16)",
    budget: { model: 'resnet20', dataset: 'cifar10', epochs: 160, rewindIteration: 500 },
    sparsity: 0.65,
    seeds: [0, 1, 2],
    kdlts: { ...KDLTS, teacherEpochs: 2, rewindIteration: 500 },
  },
};

/** The ratio IMP / KD-LTS of mean time-to-ticket and of mean epoch-equivalents (undefined when one is missing). */
export function ticketRatio(records: readonly TicketRecord[]): { time: number; epochs: number } | undefined {
  const of = (method: string) => records.filter((r) => r.method === method);
  const imp = of('imp');
  const kd = of('kdlts');
  if (imp.length === 0 || kd.length === 0) return undefined;
  const mean = (rs: TicketRecord[], f: (r: TicketRecord) => number) => meanStd(rs.map(f)).mean;
  return {
    time: mean(imp, (r) => r.timeToTicketSeconds) / mean(kd, (r) => r.timeToTicketSeconds),
    epochs: mean(imp, (r) => r.epochEquivalents) / mean(kd, (r) => r.epochEquivalents),
  };
}

/** One row per method: time-to-ticket, epoch-equivalents, breakdown, accuracy (mean ± std over seeds). */
export function benchTable(records: readonly TicketRecord[]): string {
  const methods = [...new Set(records.map((r) => r.method))];
  const pm = (xs: number[], digits: number, scale = 1) => {
    const { mean, std, n } = meanStd(xs.map((x) => x * scale));
    return n > 1 ? `${mean.toFixed(digits)} ± ${std.toFixed(digits)}` : mean.toFixed(digits);
  };
  const rows = methods.map((m) => {
    const rs = records.filter((r) => r.method === m);
    const phases = Object.keys(rs[0].breakdown).filter((k) => k !== 'rounds');
    const breakdown = phases.map((k) => `${k} ${pm(rs.map((r) => r.breakdown[k]), 1)} s`).join(', ') +
      (rs[0].breakdown.rounds !== undefined ? ` (${rs[0].breakdown.rounds} rounds)` : '');
    return [rs[0].label, pm(rs.map((r) => r.timeToTicketSeconds), 1), pm(rs.map((r) => r.epochEquivalents), 2), breakdown, `${pm(rs.map((r) => r.finalAccuracy), 2, 100)}%`];
  });
  const header = ['method', 'time-to-ticket (s)', 'epoch-equivalents', 'where the time went', 'ticket test acc'];
  return formatTable(header, rows, ['left', 'right', 'right', 'left', 'right']);
}

function datasetPresent(name: DatasetName, dataDir: string | undefined): boolean {
  try {
    loadDataset(name, 'test', { dataDir });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const profileName = arg('--profile') ?? 'cpu';
  const profile = BENCH_PROFILES[profileName];
  if (!profile) throw new Error(`--profile: unknown profile '${profileName}' (known: ${Object.keys(BENCH_PROFILES).join(', ')})`);
  const dataDir = arg('--data-dir');
  const budget: ModelBudget = { ...profile.budget, ...(arg('--model') ? { model: arg('--model')! } : {}) };
  modelTitle(budget.model);
  const sparsity = arg('--sparsity') !== undefined ? Number(arg('--sparsity')) : profile.sparsity;
  if (!(sparsity > 0 && sparsity < 1)) throw new Error(`--sparsity: expected a number strictly between 0 and 1, got '${arg('--sparsity')}'`);
  const seeds = listArg('--seeds', finiteNumber('--seeds')) ?? profile.seeds;
  if (seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new Error(`--seeds: expected integers >= 0, got '${arg('--seeds')}'`);
  const methods = ['imp', 'kdlts', ...(listArg('--methods', String)?.filter((m) => m !== 'imp' && m !== 'kdlts') ?? [])];
  for (const m of methods) if (!(RUNNER_METHODS as readonly string[]).includes(m)) throw new Error(`--methods: unknown method '${m}' (known: ${RUNNER_METHODS.join(', ')})`);
  const thresholdArg = arg('--threshold');
  const threshold = thresholdArg === undefined ? undefined : Number(thresholdArg);
  if (threshold !== undefined && !(threshold > 0)) throw new Error(`--threshold: expected a number > 0, got '${thresholdArg}'`);
  let note = '';
  if (profile.syntheticFallback && !datasetPresent(budget.dataset, dataDir)) {
    note = `${budget.dataset} is not on this machine: running on ${profile.syntheticFallback} (synthetic CIFAR-shaped data; its accuracies mean nothing, its times are real)`;
    budget.dataset = profile.syntheticFallback;
  }
  const runsDir = path.resolve(arg('--runs-dir') ?? path.join(__dirname, '..', 'results', 'local', 'runs'));
  const out = path.resolve(arg('--out') ?? defaultResultsPath('ticket-bench', { suffix: profileName, local: true }));
  const options: RunnerOptions = {
    runsDir, dataDir, kdlts: profile.kdlts, imp: { pruneFraction: 0.2 }, scoringBatches: 1,
    log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  };
  process.stderr.write(`bench:ticket, profile ${profileName}: ${profile.description}; this run: ${budget.model} at sparsity ${sparsity}, seeds ${seeds.join(', ')}\n${note ? `NOTE: ${note}\n` : ''}`);
  const plans = seeds.map((seed) => ({ budget, seed, methods, sparsities: [sparsity] }));
  const file = await runPlans('time-to-ticket', profileName, plans, [budget], options, out, note || undefined);
  const ratio = ticketRatio(file.records)!;
  process.stdout.write(
    `\n${modelTitle(budget.model)} at ${100 * sparsity}% sparsity on ${budget.dataset}, seeds ${seeds.join(', ')}\n${file.budget.description}\n` +
      `${file.machine.cpuModel}, ${file.machine.logicalCpus} threads\n\n${benchTable(file.records)}\n\n` +
      `IMP / KD-LTS: time-to-ticket ${ratio.time.toFixed(1)}×, epoch-equivalents ${ratio.epochs.toFixed(1)}× (the paper reports 19×)\n` +
      `results: ${out}\n`,
  );
  if (threshold !== undefined && !(ratio.time >= threshold)) {
    process.stderr.write(`bench:ticket: the time-to-ticket ratio ${ratio.time.toFixed(2)} is below the threshold ${threshold}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:ticket: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

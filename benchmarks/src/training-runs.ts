// Full training runs recorded for the docs: each run is `kdlts train` (the CLI's runTrain, in its
// own hashed run directory, so an interrupted recording resumes), and the file written here holds
// each run's settings and result.json plus the machine. `render-training-runs.ts` makes the table.
//   node dist/training-runs.js [--only lenet300,conv4,resnet20-epoch] [--runs-dir DIR] [--out FILE]
import * as os from 'os';
import * as path from 'path';
import { runTrain, type TrainCliOptions } from '@kdlts/cli';
import type { TrainResult } from '@kdlts/train';

import { arg } from './args';
import { describeMachine } from './machine';
import { defaultResultsPath, writeJsonAtomic } from './results';

interface PlannedRun {
  id: string;
  title: string;
  options: Partial<TrainCliOptions> & Pick<TrainCliOptions, 'model' | 'dataset'>;
}

/** The recorded runs: the models' presets, only the length given where the docs want less than it. */
export const PLANNED: PlannedRun[] = [
  { id: 'lenet300', title: 'LeNet-300-100, Fashion-MNIST, preset schedule', options: { model: 'lenet300', dataset: 'fashion-mnist' } },
  { id: 'conv4', title: 'Conv-4, Fashion-MNIST, preset schedule', options: { model: 'conv4', dataset: 'fashion-mnist' } },
  {
    id: 'resnet20-epoch',
    title: 'ResNet-20, one epoch of synthetic CIFAR-shaped data (50,000 32x32x3 images)',
    options: { model: 'resnet20', dataset: 'synthetic-cifar10', epochs: 1 },
  },
];

async function main(): Promise<void> {
  const only = arg('--only')?.split(',');
  const runsDir = arg('--runs-dir') ?? path.join(os.tmpdir(), 'kdlts-training-runs');
  const out = arg('--out') ?? defaultResultsPath('training-runs');
  const unknown = only?.filter((id) => !PLANNED.some((p) => p.id === id)) ?? [];
  if (unknown.length) throw new Error(`--only: unknown run(s) ${unknown.join(', ')} (known: ${PLANNED.map((p) => p.id).join(', ')})`);
  const runs: { id: string; title: string; runDir: string; settings: unknown; nonDefault: unknown; result: TrainResult }[] = [];
  const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
  for (const plan of PLANNED.filter((p) => !only || only.includes(p.id))) {
    process.stderr.write(`\n== ${plan.title}\n`);
    const options: TrainCliOptions = { seed: 0, modelSeed: 0, evalEvery: 1, backend: 'kdlts', runsDir, progress: false, ...plan.options };
    const { result, dir, settings, nonDefault } = await runTrain(options, io);
    runs.push({ id: plan.id, title: plan.title, runDir: path.basename(dir), settings, nonDefault, result });
    writeJsonAtomic(out, { date: new Date().toISOString(), machine: describeMachine(), runs });
  }
  process.stderr.write(`\nwrote ${out}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`training-runs: ${(error as Error).message}\n`);
    process.exit(1);
  });
}

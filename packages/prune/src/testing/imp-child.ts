// An IMP run in its own process, for the kill-and-resume test:
//   node -r scripts/register-ts.js imp-child.ts OUT_DIR [PAUSE]
// Runs (or resumes) IMP on LeNet-300-100 (8x8 synthetic images) into OUT_DIR. With PAUSE
// ('round-2-epoch-2': inside round 2's second epoch, its epoch-1 checkpoint on disk;
// 'after-round-3': round 3 finished, round 4 not started) it writes OUT_DIR.paused at that moment
// and blocks, so the parent can SIGKILL it at a known point without a race.
import * as fs from 'fs';
import { useBackend } from '@kdlts/backend';
import { syntheticDataset } from '@kdlts/data';
import { buildModel, getModelSpec } from '@kdlts/models';
import type { TrainConfig, TrainData } from '@kdlts/train';

import { runImp, type ImpEvent, type ImpRequest } from '../imp';

const SHAPE: [number, number, number] = [8, 8, 1];
export const CHILD_DATA: TrainData = {
  train: syntheticDataset({ count: 40, shape: SHAPE, seed: 1, sampleSeed: 2 }),
  test: syntheticDataset({ count: 20, shape: SHAPE, seed: 1, sampleSeed: 3 }),
};
export const CHILD_CONFIG: TrainConfig = { lr: 0.05, momentum: 0.9, batchSize: 20, epochs: 3, seed: 4 };

/** The request both the child and the test's uninterrupted run make. */
export function childRequest(outDir: string): ImpRequest {
  const model = buildModel('lenet300', { seed: 3, inputShape: SHAPE });
  return {
    model, prunable: getModelSpec('lenet300').prunableWeights(model), data: CHILD_DATA, config: CHILD_CONFIG,
    sparsity: 0.5, trainTicket: false, outDir, logEvery: 1,
  };
}

function pauseHere(outDir: string): void {
  fs.writeFileSync(`${outDir}.paused`, String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
}

async function main(outDir: string, pause: string | undefined): Promise<void> {
  await useBackend({ backend: 'kdlts' });
  const onEvent = (e: ImpEvent) => {
    if (pause === 'round-2-epoch-2' && e.type === 'train' && e.stage === 2 && e.event.type === 'iteration' && e.event.epoch === 2) pauseHere(outDir);
    if (pause === 'after-round-3' && e.type === 'round-done' && e.round === 3) pauseHere(outDir);
  };
  const { summary } = await runImp({ ...childRequest(outDir), onEvent });
  process.stdout.write(`done ${summary.kept}\n`);
}

if (require.main === module) {
  main(process.argv[2], process.argv[3]).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}

// A training run in its own process, for the kill-and-resume test:
//   node -r scripts/register-ts.js train-child.ts OUT_DIR
// Trains the tiny ResNet with a mask into OUT_DIR (resuming from its checkpoint if there is one),
// logging every step.
import { useBackend } from '@kdlts/backend';

import { train } from '../train';
import { randomMask, syntheticData, tinyResnet } from './fixtures';

export const CHILD_CONFIG = {
  lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4, batchSize: 16, epochs: 4, seed: 11,
  augment: true, schedule: { type: 'step' as const, milestones: [10, 18] },
};

async function main(outDir: string): Promise<void> {
  await useBackend({ backend: 'kdlts' });
  const model = tinyResnet(21);
  const result = await train({
    model, data: syntheticData([8, 8, 3], 96, 40, 5), config: CHILD_CONFIG, mask: randomMask(model, 0.4, 2), outDir, logEvery: 1,
  });
  process.stdout.write(`done ${result.iterations}\n`);
}

if (require.main === module) {
  main(process.argv[2]).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}

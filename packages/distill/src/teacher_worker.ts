// A teacher-training child process (started by teacher_workers.ts with fork(), 'advanced'
// serialization): receives one TeacherJob, activates the parent's tfjs backend, builds the model
// from its seed, trains it with @kdlts/train into the job's run directory, sends its events and
// then its TrainResult (or its error), and exits. The parent reads the weights from the run
// directory's final.kdt. If the parent goes away, the child stops too.
import { useBackend } from '@kdlts/backend';
import { buildModel } from '@kdlts/models';
import { train } from '@kdlts/train';

import type { TeacherJob, WorkerMessage } from './teacher_workers';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

async function trainJob(job: TeacherJob): Promise<void> {
  await useBackend({ backend: job.backend });
  const model = buildModel(job.model, job.build);
  try {
    const result = await train({
      model, data: job.data, config: job.config, outDir: job.runDir, saveWeightsAt: job.saveWeightsAt,
      onEvent: (event) => process.send!({ type: 'event', event } satisfies WorkerMessage),
    });
    await send({ type: 'result', result });
  } finally {
    model.dispose();
  }
}

function main(): void {
  let replied = false;
  // The parent died or dropped us: nobody waits for this run (its checkpoints stay for a resume).
  process.on('disconnect', () => replied || process.exit(2));
  process.once('message', (job: TeacherJob) => {
    trainJob(job).then(
      () => {
        replied = true;
        process.exit(0); // the result is written to the channel; nothing else to wait for
      },
      async (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        try {
          await send({ type: 'error', message: e.message, stack: e.stack });
        } finally {
          replied = true;
          process.exit(1);
        }
      },
    );
  });
}

if (require.main === module && process.send) main();

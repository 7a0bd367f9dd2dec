import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { jsonLinesReporter, progressBarReporter } from './reporters';
import type { TrainEvent, TrainResult } from './types';

const events: TrainEvent[] = [
  { type: 'start', fingerprint: 'f', totalIterations: 10, iterationsPerEpoch: 5, epochs: 2, resumedFromEpoch: 0 },
  { type: 'iteration', iteration: 5, epoch: 1, loss: 0.75, lr: 0.1, totalIterations: 10 },
  {
    type: 'epoch', totalEpochs: 2, epoch: 1, iteration: 5, lr: 0.1, trainLoss: 0.8, trainAccuracy: 0.6,
    testLoss: 0.7, testAccuracy: 0.5, trainSeconds: 1, evalSeconds: 0.1,
  },
  { type: 'done', result: { completed: true } as TrainResult },
];

test('JSON lines: one parsable object per event with a timestamp; the done event is left to result.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-log-'));
  const file = path.join(dir, 'sub', 'log.jsonl');
  const sink = jsonLinesReporter(file);
  events.forEach(sink);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.type)).toEqual(['start', 'iteration', 'epoch']);
  expect(lines[1]).toMatchObject({ iteration: 5, loss: 0.75 });
  expect(Number.isNaN(Date.parse(lines[0].time))).toBe(false);
  fs.rmSync(dir, { recursive: true });
});

test('progress bar: draws iterations, loss and the last test accuracy on a terminal stream', () => {
  let written = '';
  const tty = {
    isTTY: true, columns: 200,
    write: (s: string) => ((written += s), true),
    cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => tty, removeListener: () => tty,
  } as unknown as NodeJS.WriteStream;
  const sink = progressBarReporter(tty, 'lenet300');
  events.forEach(sink);
  expect(written).toMatch(/lenet300 \[[#.]+\] 50% \| it 5\/10 \| epoch 1 \| loss 0\.7500 \| test 50\.00%/);
});

// Ways to watch a run: JSON lines appended to a log file (one object per event, with a timestamp),
// and a progress bar on a terminal (cli-progress, on stderr). Library users pass `onEvent`.
import * as fs from 'fs';
import * as path from 'path';
import { SingleBar } from 'cli-progress';

import type { TrainEvent } from './types';

export type EventSink = (event: TrainEvent) => void;

/** Appends every event (except 'done', whose result goes to result.json) as one JSON line. */
export function jsonLinesReporter(file: string): EventSink {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return (event) => {
    if (event.type === 'done') return;
    fs.appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
  };
}

const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`);

/** A progress bar over the run's iterations, with the loss and the last test accuracy. */
export function progressBarReporter(stream: NodeJS.WriteStream = process.stderr, label = 'train'): EventSink {
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | it {value}/{total} | epoch {epoch} | loss {loss} | test {acc} | eta {eta_formatted}`,
    barCompleteChar: '#',
    barIncompleteChar: '.',
    hideCursor: false,
    clearOnComplete: false,
    etaBuffer: 50,
  });
  let acc = '-';
  return (event) => {
    switch (event.type) {
      case 'start':
        bar.start(event.totalIterations, event.resumedFromEpoch * event.iterationsPerEpoch, { epoch: event.resumedFromEpoch + 1, loss: '-', acc });
        break;
      case 'iteration':
        bar.update(event.iteration, { epoch: event.epoch, loss: event.loss.toFixed(4) });
        break;
      case 'epoch':
        if (event.testAccuracy !== undefined) acc = pct(event.testAccuracy);
        bar.update(event.iteration, { acc });
        break;
      case 'done':
        bar.stop();
        break;
      default:
        break;
    }
  };
}

/** Whether a progress bar makes sense: a terminal on stderr and not CI. */
export function isInteractive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

/** A bar over `total` steps of something that is not a training run (e.g. the KD-LTS search), with a loss. */
export function stepProgressBar(
  stream: NodeJS.WriteStream, label: string, total: number,
): { update: (done: number, loss: number) => void; stop: () => void } {
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | step {value}/{total} | loss {loss} | eta {eta_formatted}`,
    barCompleteChar: '#',
    barIncompleteChar: '.',
    hideCursor: false,
    clearOnComplete: false,
    etaBuffer: 20,
  });
  bar.start(total, 0, { loss: '-' });
  return { update: (done, loss) => bar.update(done, { loss: loss.toFixed(4) }), stop: () => bar.stop() };
}

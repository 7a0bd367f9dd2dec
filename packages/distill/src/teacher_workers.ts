// Trains teachers in child processes, up to `workers` at a time: each child gets one job (model,
// seeds, data, config, run directory, tfjs backend), trains it with @kdlts/train into the job's run
// directory and replies with its TrainResult; the weights stay in the run directory (final.kdt).
// Messages use the 'advanced' (structured clone) serialization, so the datasets' typed arrays cross
// as bytes, not JSON. The first failure (a child's error, a child that dies, an abort) kills every
// running child, waits for them to exit, and rejects: no orphans, and the parent never crashes.
import { fork, type ChildProcess } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import type { Dataset } from '@kdlts/data';
import type { BuildOptions } from '@kdlts/models';
import type { TrainConfig, TrainData, TrainEvent, TrainResult } from '@kdlts/train';

export interface TeacherJob {
  /** The teacher's index t: named in errors and passed to onEvent. */
  teacher: number;
  model: string;
  build: BuildOptions;
  data: TrainData;
  /** With the teacher's own data seed. */
  config: TrainConfig;
  /** The teacher's run directory (teacher-<t>/): resumed from, or found finished. */
  runDir: string;
  /** The parent's active tfjs backend ('kdlts', 'tensorflow' or 'cpu'); the child activates the same. */
  backend: string;
  /** Iterations whose weights the run saves (weights/iter-N.kdt in runDir): teacher 0's θ_t. */
  saveWeightsAt?: number[];
}

/** What a worker sends back: its run's events, then its result or its error. */
export type WorkerMessage =
  | { type: 'event'; event: TrainEvent }
  | { type: 'result'; result: TrainResult }
  | { type: 'error'; message: string; stack?: string };

export interface WorkerPoolOptions {
  /** Children running at once (>= 1). */
  workers: number;
  onEvent?: (teacher: number, event: TrainEvent) => void;
  /** Kills the children and rejects. */
  signal?: AbortSignal;
}

/** Rejected by an aborted pool; the signal's reason is the cause. */
export class TeacherTrainingAborted extends Error {
  constructor(reason: unknown) {
    super('teacher training aborted', { cause: reason });
    this.name = 'TeacherTrainingAborted';
  }
}

const STDERR_TAIL_CHARS = 4000;

/**
 * The worker entry and the node flags that run it: the built dist/teacher_worker.js as is, or --
 * running from the TypeScript sources (jest, scripts/register-ts.js) -- teacher_worker.ts through
 * the same swc require hook.
 */
function workerEntry(): { file: string; execArgv: string[] } {
  if (path.extname(__filename) !== '.ts') return { file: path.join(__dirname, 'teacher_worker.js'), execArgv: process.execArgv };
  const registerTs = path.resolve(__dirname, '../../../scripts/register-ts.js');
  return { file: path.join(__dirname, 'teacher_worker.ts'), execArgv: ['-r', registerTs] };
}

/** A view that spans its whole buffer: structured clone sends a view's entire underlying buffer. */
function compact<A extends Float32Array | Uint8Array>(a: A): A {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as A);
}

function compactDataset(d: Dataset): Dataset {
  return { ...d, images: compact(d.images), labels: compact(d.labels), coarseLabels: d.coarseLabels && compact(d.coarseLabels) };
}

function compactJob(job: TeacherJob): TeacherJob {
  const data = { ...job.data, train: compactDataset(job.data.train), test: job.data.test && compactDataset(job.data.test) };
  return { ...job, data };
}

/**
 * The native core's threads per child (KDLTS_NUM_THREADS): the cores split between the children
 * that run at once, so W children do not each spin up every core. A value the user set is kept.
 */
export function workerThreadsEnv(workers: number, concurrent: number, cores = os.cpus().length): Record<string, string> {
  if (process.env.KDLTS_NUM_THREADS) return {};
  return { KDLTS_NUM_THREADS: String(Math.max(1, Math.floor(cores / Math.max(1, Math.min(workers, concurrent))))) };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
}

/** Trains every job in a child process; results in the jobs' order. */
export function trainInWorkerProcesses(jobs: TeacherJob[], o: WorkerPoolOptions): Promise<TrainResult[]> {
  if (!(Number.isInteger(o.workers) && o.workers >= 1)) throw new RangeError(`workers must be a positive integer, got ${o.workers}`);
  const entry = workerEntry();
  const threadsEnv = workerThreadsEnv(o.workers, Math.min(o.workers, jobs.length));
  return new Promise((resolve, reject) => {
    const results: TrainResult[] = new Array(jobs.length);
    const running = new Set<ChildProcess>();
    let next = 0;
    let finished = 0;
    let failure: Error | undefined;

    const settleWhenIdle = () => {
      if (running.size > 0) return;
      if (failure) {
        o.signal?.removeEventListener('abort', onAbort);
        reject(failure);
      } else if (finished === jobs.length) {
        o.signal?.removeEventListener('abort', onAbort);
        resolve(results);
      }
    };
    const fail = (error: Error) => {
      if (failure) return;
      failure = error;
      for (const child of running) child.kill('SIGKILL');
      settleWhenIdle();
    };
    const onAbort = () => fail(new TeacherTrainingAborted(o.signal!.reason));

    const launch = (index: number) => {
      const job = jobs[index];
      const name = `teacher ${job.teacher}`;
      const child = fork(entry.file, [], {
        serialization: 'advanced', execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'], env: { ...process.env, ...threadsEnv },
      });
      running.add(child);
      let result: TrainResult | undefined;
      let childError: string | undefined;
      let stderrTail = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        stderrTail = (stderrTail + chunk.toString()).slice(-STDERR_TAIL_CHARS);
      });
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'event') {
          try {
            o.onEvent?.(job.teacher, m.event);
          } catch (error) {
            fail(error instanceof Error ? error : new Error(String(error)));
          }
        } else if (m.type === 'result') {
          result = m.result;
        } else if (m.type === 'error') {
          childError = m.message;
        }
      });
      // A process that could not be spawned, or a message that could not be sent; 'close' follows
      // only when the process had started.
      child.on('error', (error) => {
        fail(new Error(`${name}: worker process failed: ${error.message}`));
        if (child.pid === undefined && running.delete(child)) settleWhenIdle();
      });
      // 'close': the process has exited and its stderr and IPC channel are drained.
      child.on('close', (code, signal) => {
        if (!running.delete(child)) return;
        if (childError !== undefined) {
          fail(new Error(`${name}: ${childError}`));
        } else if (result && code === 0) {
          results[index] = result;
          finished++;
        } else {
          const tail = stderrTail.trim();
          fail(new Error(`${name}: worker process ${describeExit(code, signal)} before finishing${tail ? `; its stderr ends:\n${tail}` : ''}`));
        }
        launchWhileRoom();
        settleWhenIdle();
      });
      child.send(compactJob(job), (error) => error && fail(new Error(`${name}: could not send the job to its worker: ${error.message}`)));
    };
    const launchWhileRoom = () => {
      while (!failure && running.size < o.workers && next < jobs.length) launch(next++);
    };

    if (o.signal?.aborted) return reject(new TeacherTrainingAborted(o.signal.reason));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    launchWhileRoom();
    settleWhenIdle();
  });
}

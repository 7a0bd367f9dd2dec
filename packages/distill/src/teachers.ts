// The teacher ensemble (METHOD.md step 1): T copies of the model trained for a few early epochs,
// by default all from θ0 (the student's initial weights) and differing in data order and
// augmentation seed; option: each from its own initial seed. Each teacher is a stage with its own
// run directory (@kdlts/train checkpoints and resumes it; a finished one is loaded, not retrained).
// Option: several teachers at once, each in its own process (teacher_workers.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { buildWithTaps, type BuildOptions, type ModelWithTaps } from '@kdlts/models';
import {
  FINAL_WEIGHTS_FILE, loadWeights, readBundle, train, type TensorBundle, type TrainConfig, type TrainData, type TrainEvent, type TrainResult,
} from '@kdlts/train';

import { trainInWorkerProcesses, type TeacherJob } from './teacher_workers';

export interface TeacherOptions {
  /** Model name in the @kdlts/models registry. */
  model: string;
  /** Seed of θ0: the student's and (by default) every teacher's initial weights. */
  modelSeed: number;
  inputShape?: number[];
  numClasses?: number;
  /** Number of teachers T (default 3). */
  count?: number;
  data: TrainData;
  /** The teachers' training: the model's usual settings with a short length (epochs E). */
  config: TrainConfig;
  /** Teacher t uses data seed config.seed + 1000·(t+1) (default) -- distinct from the student's. */
  independentInit?: boolean;
  /** Parent of the teacher run directories teacher-<t>/ (resumable stages); none: nothing written. */
  outDir?: string;
  onEvent?: (teacher: number, event: TrainEvent) => void;
  /**
   * Teachers trained at once, each in a child process (default 1: one after another, in this
   * process). Same seeds, data and config give bitwise the same teachers either way. The children
   * train into outDir's teacher-<t>/ (without outDir: a temporary directory, removed afterwards).
   */
  workers?: number;
  /** Stops training: in process at the next step (TrainingAborted), with workers by killing them. */
  signal?: AbortSignal;
  /**
   * Teacher 0 keeps its weights after this many steps (Teacher.rewindWeights, and
   * teacher-0/weights/iter-<t>.kdt with outDir): θ_t of a dense run from θ0, the early-ticket
   * variant's rewind point.
   */
  rewindIteration?: number;
}

export interface Teacher extends ModelWithTaps {
  index: number;
  result: TrainResult;
  /** Teacher 0 with TeacherOptions.rewindIteration: its weights after that many steps. */
  rewindWeights?: TensorBundle;
}

export function teacherSeeds(o: Pick<TeacherOptions, 'modelSeed' | 'config' | 'independentInit'>, t: number): { modelSeed: number; dataSeed: number } {
  const dataSeed = (o.config.seed ?? 0) + 1000 * (t + 1);
  return { modelSeed: o.independentInit ? o.modelSeed + 1000 * (t + 1) : o.modelSeed, dataSeed };
}

const teacherDir = (outDir: string, t: number) => path.join(outDir, `teacher-${t}`);
const rewindFile = (dir: string, iteration: number) => path.join(dir, 'weights', `iter-${iteration}.kdt`);

/** θ_t from teacher 0's run directory; a run that finished without keeping it is named. */
function readRewind(dir: string, iteration: number): TensorBundle {
  const file = rewindFile(dir, iteration);
  if (!fs.existsSync(file)) {
    throw new Error(`${dir}: the teacher finished without keeping its weights at iteration ${iteration} (no ${file}); train it again with rewindIteration ${iteration}, e.g. in a new directory`);
  }
  return readBundle(file).tensors;
}

/** The iterations teacher t saves: teacher 0 keeps θ_t when asked. */
function saveWeightsAt(o: TeacherOptions, t: number): number[] | undefined {
  return t === 0 && o.rewindIteration !== undefined ? [o.rewindIteration] : undefined;
}

/** Trains (or finds finished) every teacher; the caller disposes each teacher's `model`. */
export async function trainTeachers(o: TeacherOptions): Promise<Teacher[]> {
  const count = o.count ?? 3;
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`teacher count must be a positive integer, got ${count}`);
  const workers = o.workers ?? 1;
  if (o.rewindIteration !== undefined && !(Number.isSafeInteger(o.rewindIteration) && o.rewindIteration >= 0)) {
    throw new RangeError(`rewindIteration must be an integer >= 0, got ${o.rewindIteration}`);
  }
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a positive integer, got ${workers}`);
  return workers === 1 ? trainInProcess(o, count) : trainInWorkers(o, count, workers);
}

function buildOptions(o: TeacherOptions, t: number): BuildOptions {
  return { seed: teacherSeeds(o, t).modelSeed, inputShape: o.inputShape, numClasses: o.numClasses };
}

function buildTeacher(o: TeacherOptions, t: number): ModelWithTaps {
  return buildWithTaps(o.model, buildOptions(o, t));
}

async function trainInProcess(o: TeacherOptions, count: number): Promise<Teacher[]> {
  const teachers: Teacher[] = [];
  try {
    for (let t = 0; t < count; t++) {
      const built = buildTeacher(o, t);
      teachers.push({ ...built, index: t, result: undefined as unknown as TrainResult });
      const dir = o.outDir ? teacherDir(o.outDir, t) : undefined;
      teachers[t].result = await train({
        model: built.model,
        data: o.data,
        config: { ...o.config, seed: teacherSeeds(o, t).dataSeed },
        outDir: dir,
        onEvent: o.onEvent ? (e) => o.onEvent!(t, e) : undefined,
        signal: o.signal,
        saveWeightsAt: saveWeightsAt(o, t),
        onWeights: (_iteration, weights) => void (teachers[t].rewindWeights = weights),
      });
      // A run found finished on disk hands no snapshot over: read it from its file.
      if (saveWeightsAt(o, t) && !teachers[t].rewindWeights && dir) teachers[t].rewindWeights = readRewind(dir, o.rewindIteration!);
    }
    return teachers;
  } catch (error) {
    for (const teacher of teachers) teacher.model.dispose();
    throw error;
  }
}

/** The children train; the parent builds each teacher (with its taps) and loads its final weights. */
async function trainInWorkers(o: TeacherOptions, count: number, workers: number): Promise<Teacher[]> {
  const tempDir = o.outDir ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'kdlts-teacher-workers-'));
  const outDir = o.outDir ?? tempDir!;
  try {
    const jobs: TeacherJob[] = [];
    for (let t = 0; t < count; t++) {
      jobs.push({
        teacher: t,
        model: o.model,
        build: buildOptions(o, t),
        data: o.data,
        config: { ...o.config, seed: teacherSeeds(o, t).dataSeed },
        runDir: teacherDir(outDir, t),
        backend: tf.getBackend(),
        saveWeightsAt: saveWeightsAt(o, t),
      });
    }
    const results = await trainInWorkerProcesses(jobs, { workers, onEvent: o.onEvent, signal: o.signal });
    const teachers: Teacher[] = [];
    try {
      for (let t = 0; t < count; t++) {
        const built = buildTeacher(o, t);
        teachers.push({ ...built, index: t, result: results[t] });
        loadWeights(built.model, path.join(jobs[t].runDir, FINAL_WEIGHTS_FILE));
        if (saveWeightsAt(o, t)) teachers[t].rewindWeights = readRewind(jobs[t].runDir, o.rewindIteration!);
      }
    } catch (error) {
      for (const teacher of teachers) teacher.model.dispose();
      throw error;
    }
    return teachers;
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

// The teacher ensemble (METHOD.md step 1): T copies of the model trained for a few early epochs,
// by default all from θ0 (the student's initial weights) and differing in data order and
// augmentation seed; option: each from its own initial seed. Each teacher is a stage with its own
// run directory (@kdlts/train checkpoints and resumes it; a finished one is loaded, not retrained).
import * as path from 'path';
import { buildWithTaps, type ModelWithTaps } from '@kdlts/models';
import { train, type TrainConfig, type TrainData, type TrainEvent, type TrainResult } from '@kdlts/train';

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
}

export interface Teacher extends ModelWithTaps {
  index: number;
  result: TrainResult;
}

export function teacherSeeds(o: Pick<TeacherOptions, 'modelSeed' | 'config' | 'independentInit'>, t: number): { modelSeed: number; dataSeed: number } {
  const dataSeed = (o.config.seed ?? 0) + 1000 * (t + 1);
  return { modelSeed: o.independentInit ? o.modelSeed + 1000 * (t + 1) : o.modelSeed, dataSeed };
}

/** Trains (or finds finished) every teacher; the caller disposes each teacher's `model`. */
export async function trainTeachers(o: TeacherOptions): Promise<Teacher[]> {
  const count = o.count ?? 3;
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`teacher count must be a positive integer, got ${count}`);
  const teachers: Teacher[] = [];
  try {
    for (let t = 0; t < count; t++) {
      const seeds = teacherSeeds(o, t);
      const built = buildWithTaps(o.model, { seed: seeds.modelSeed, inputShape: o.inputShape, numClasses: o.numClasses });
      teachers.push({ ...built, index: t, result: undefined as unknown as TrainResult });
      teachers[t].result = await train({
        model: built.model,
        data: o.data,
        config: { ...o.config, seed: seeds.dataSeed },
        outDir: o.outDir ? path.join(o.outDir, `teacher-${t}`) : undefined,
        onEvent: o.onEvent ? (e) => o.onEvent!(t, e) : undefined,
      });
    }
    return teachers;
  } catch (error) {
    for (const teacher of teachers) teacher.model.dispose();
    throw error;
  }
}

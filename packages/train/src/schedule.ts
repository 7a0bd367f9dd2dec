// Learning-rate schedules, as a pure function of the iteration: constant, step (multiply by gamma
// at each milestone) and cosine (to 0 at the last iteration), each with an optional linear
// warm-up from ~0 to the base rate. A pure function of the iteration keeps resume exact.

export type ScheduleConfig =
  | { type: 'constant' }
  | {
      type: 'step';
      /** Iterations (not epochs) at which the rate is multiplied by gamma; ascending. */
      milestones: number[];
      /** Default 0.1. */
      gamma?: number;
    }
  | {
      type: 'cosine';
      /** The rate at the end (default 0). */
      minLr?: number;
    };

export interface LrSchedule {
  /** The base learning rate. */
  lr: number;
  schedule: ScheduleConfig;
  /** Linear warm-up over this many iterations (default 0): iteration i uses lr * (i + 1) / warmup. */
  warmupIterations?: number;
  /** Total iterations of the run (cosine needs it). */
  totalIterations: number;
}

/** Checks a schedule, throwing a RangeError that names the bad field. */
export function validateSchedule(s: LrSchedule): void {
  if (!(Number.isFinite(s.lr) && s.lr >= 0)) throw new RangeError(`lr must be a finite number >= 0, got ${s.lr}`);
  if (!(Number.isInteger(s.totalIterations) && s.totalIterations >= 0)) {
    throw new RangeError(`totalIterations must be an integer >= 0, got ${s.totalIterations}`);
  }
  const warmup = s.warmupIterations ?? 0;
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`warmupIterations must be an integer >= 0, got ${warmup}`);
  const sc = s.schedule;
  switch (sc.type) {
    case 'constant':
      return;
    case 'step': {
      const g = sc.gamma ?? 0.1;
      if (!(Number.isFinite(g) && g >= 0)) throw new RangeError(`schedule gamma must be a finite number >= 0, got ${g}`);
      sc.milestones.forEach((m, i) => {
        if (!(Number.isInteger(m) && m >= 0)) throw new RangeError(`schedule milestones must be integers >= 0, got ${m}`);
        if (i > 0 && m <= sc.milestones[i - 1]) throw new RangeError(`schedule milestones must ascend, got ${sc.milestones.join(',')}`);
      });
      return;
    }
    case 'cosine': {
      const min = sc.minLr ?? 0;
      if (!(Number.isFinite(min) && min >= 0)) throw new RangeError(`schedule minLr must be a finite number >= 0, got ${min}`);
      return;
    }
    default:
      throw new RangeError(`unknown schedule type '${(sc as { type: string }).type}' (expected constant, step or cosine)`);
  }
}

/** The learning rate of iteration `i` (0-based: the i-th optimizer step). */
export function learningRate(s: LrSchedule, i: number): number {
  const sc = s.schedule;
  let lr = s.lr;
  if (sc.type === 'step') {
    const gamma = sc.gamma ?? 0.1;
    for (const m of sc.milestones) if (i >= m) lr *= gamma;
  } else if (sc.type === 'cosine') {
    const min = sc.minLr ?? 0;
    const t = s.totalIterations <= 1 ? 0 : Math.min(i, s.totalIterations - 1) / (s.totalIterations - 1);
    lr = min + 0.5 * (s.lr - min) * (1 + Math.cos(Math.PI * t));
  }
  const warmup = s.warmupIterations ?? 0;
  if (i < warmup) lr *= (i + 1) / warmup;
  return lr;
}

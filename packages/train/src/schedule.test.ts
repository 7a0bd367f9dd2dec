import { learningRate, validateSchedule, type LrSchedule } from './schedule';

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));

describe('learningRate', () => {
  test('constant', () => {
    const s: LrSchedule = { lr: 0.1, schedule: { type: 'constant' }, totalIterations: 10 };
    for (let i = 0; i < 12; i++) expect(learningRate(s, i)).toBe(0.1);
  });

  test('step: multiplied by gamma from each milestone on', () => {
    const s: LrSchedule = { lr: 0.1, schedule: { type: 'step', milestones: [3, 5], gamma: 0.5 }, totalIterations: 8 };
    const got = Array.from({ length: 8 }, (_, i) => learningRate(s, i));
    [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025].forEach((v, i) => close(got[i], v));
    close(learningRate({ ...s, schedule: { type: 'step', milestones: [2] } }, 2), 0.01); // default gamma 0.1
  });

  test('cosine: lr at 0, (lr+min)/2 half way, min at the last iteration', () => {
    const s: LrSchedule = { lr: 0.2, schedule: { type: 'cosine', minLr: 0.02 }, totalIterations: 11 };
    close(learningRate(s, 0), 0.2);
    close(learningRate(s, 5), 0.11);
    close(learningRate(s, 10), 0.02);
    for (let i = 0; i < 11; i++) close(learningRate(s, i), 0.02 + 0.09 * (1 + Math.cos((Math.PI * i) / 10)));
    close(learningRate({ ...s, totalIterations: 1 }, 0), 0.2); // one step: no division by zero
  });

  test('linear warm-up scales the first iterations by (i+1)/warmup, on top of the schedule', () => {
    const s: LrSchedule = { lr: 0.4, schedule: { type: 'step', milestones: [1] , gamma: 0.5 }, warmupIterations: 4, totalIterations: 10 };
    close(learningRate(s, 0), 0.1);
    close(learningRate(s, 1), 0.2 * 0.5);
    close(learningRate(s, 3), 0.4 * 0.5);
    close(learningRate(s, 4), 0.2);
  });

  test('bad settings name the field', () => {
    const base: LrSchedule = { lr: 0.1, schedule: { type: 'constant' }, totalIterations: 5 };
    expect(() => validateSchedule({ ...base, lr: NaN })).toThrow(/lr must be/);
    expect(() => validateSchedule({ ...base, lr: -1 })).toThrow(/lr must be/);
    expect(() => validateSchedule({ ...base, warmupIterations: 1.5 })).toThrow(/warmupIterations/);
    expect(() => validateSchedule({ ...base, schedule: { type: 'step', milestones: [5, 3] } })).toThrow(/milestones must ascend/);
    expect(() => validateSchedule({ ...base, schedule: { type: 'step', milestones: [-1] } })).toThrow(/milestones must be integers/);
    expect(() => validateSchedule({ ...base, schedule: { type: 'step', milestones: [1], gamma: NaN } })).toThrow(/gamma/);
    expect(() => validateSchedule({ ...base, schedule: { type: 'cosine', minLr: -0.1 } })).toThrow(/minLr/);
    expect(() => validateSchedule({ ...base, schedule: { type: 'linear' } as never })).toThrow(/unknown schedule type 'linear'/);
    expect(() => validateSchedule(base)).not.toThrow();
  });
});

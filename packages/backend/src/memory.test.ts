// Memory test: thousands of training steps on kdlts leave the tensor count, the byte count and
// the backend's buffer count exactly where they were after warm-up, and the process's RSS does
// not grow; every native kernel's outputs go back to the baseline when disposed; and kdlts's
// recycled output buffers are never handed out again while something can still see them.
//
// RSS, always measured after a full GC (the ArrayBuffers the kernels allocate are freed by the
// JS GC, the native core's workspaces by the kernels themselves): glibc keeps freed arenas and
// V8 resizes its heap, so RSS moves in steps of a few MiB either way (measured over 8000 steps:
// within -2.5..+2.1 MiB of the level after warm-up; over 3000, single jumps of up to +7 MiB).
// Hence two bounds: at most 48 MiB above the warm-up level at the end, and at most 12 MiB of
// growth from the median of the first three samples (one every 250 steps after warm-up) to the
// median of the last three (median: one jump does not count), i.e. under ~5 KiB per step over
// the ~2300 steps between them: a leaked im2col workspace (~10-40 KiB per conv call here) or a
// leaked per-step output would break it (checked once by hand: retaining 8 KiB per step gives
// +15.6 MiB and fails). A per-call leak of the 16 MiB outputs of the large-output test would be
// hundreds of MiB.
// JS heap: at most 16 MiB above the warm-up level (tensor leaks are caught exactly by the
// per-step tensor / byte / buffer counts).
import * as v8 from 'v8';
import * as vm from 'vm';
import * as tf from '@tensorflow/tfjs-core';

import { castCases } from './testing/cases_cast';
import { convCases } from './testing/cases_conv';
import { binaryCases, unaryCases } from './testing/cases_elementwise';
import { matmulCases } from './testing/cases_matmul';
import { batchNormCases, poolCases } from './testing/cases_pool';
import { reduceCases, softmaxCases, tileCases, transposeCases } from './testing/cases_reduce';
import { BACKEND_NAME, caseInputs, status, useBackend, type Case } from './testing/harness';
import { batchOrder, initialWeights, makeDataset, makeTrainer, type ModelConfig } from './testing/training';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;
const RSS_SLACK = 48 * MiB;
const RSS_GROWTH_SLACK = 12 * MiB;
const HEAP_SLACK = 16 * MiB;

/** Thousands with the native kernels; without them a step is ~20x slower (pure-JS convolutions). */
const STEPS = status.native ? 3000 : 300;
const WARMUP = 200;
const SAMPLE_EVERY = 250;

function settledMemory(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

function buffers(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}

function counters(): { tensors: number; bytes: number; buffers: number } {
  const m = tf.memory();
  return { tensors: m.numTensors, bytes: m.numBytes, buffers: buffers() };
}

describe('kdlts memory', () => {
  beforeAll(async () => {
    await useBackend(BACKEND_NAME);
  });

  test(`${STEPS} training steps: constant tensors / bytes / buffers per step, no RSS growth`, async () => {
    const model: ModelConfig = { side: 8, filters: [2, 4], classes: 4, seed: 3 };
    const data = makeDataset(128, model.side, model.classes, 5, 1.0, [0.2, 0.8]);
    const order = batchOrder(data.count, 8, STEPS, 9);
    {
      const w0 = await initialWeights(model);
      await useBackend(BACKEND_NAME);
      const trainer = makeTrainer(model, w0, data, 0.02);
      try {
        for (let s = 0; s < WARMUP; s++) trainer.step(order[s]);
        const base = settledMemory();
        const samples: Array<{ step: number; rss: number; heap: number }> = [];
        const problems: string[] = [];
        for (let s = WARMUP; s < STEPS; s++) {
          const before = counters();
          trainer.step(order[s]);
          const after = counters();
          if ((after.tensors !== before.tensors || after.bytes !== before.bytes || after.buffers !== before.buffers) && problems.length < 5) {
            problems.push(`step ${s}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
          }
          if ((s + 1 - WARMUP) % SAMPLE_EVERY === 0) samples.push({ step: s + 1, ...settledMemory() });
        }
        const end = settledMemory();
        if (process.env.KDLTS_CONFORMANCE_VERBOSE === '1') {
          console.log(samples.map((m) => `step ${m.step}: rss ${((m.rss - base.rss) / MiB).toFixed(1)} MiB, heap ${((m.heap - base.heap) / MiB).toFixed(1)} MiB`).join('\n'));
        }
        expect(problems).toEqual([]);
        expect(end.rss - base.rss).toBeLessThan(RSS_SLACK);
        if (samples.length >= 6) {
          const median3 = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
          const growth = median3(samples.slice(-3).map((m) => m.rss)) - median3(samples.slice(0, 3).map((m) => m.rss));
          expect(growth).toBeLessThan(RSS_GROWTH_SLACK);
        }
        expect(end.heap - base.heap).toBeLessThan(HEAP_SLACK);
      } finally {
        trainer.dispose();
      }
    }
  });

  /** The first case that runs each overridden kernel natively (forward and gradients). */
  const cases: Case[] = [];
  {
    const all = [
      ...convCases, ...matmulCases, ...poolCases, ...batchNormCases, ...binaryCases, ...unaryCases,
      ...reduceCases, ...softmaxCases, ...tileCases, ...transposeCases, ...castCases,
    ];
    const covered = new Set<string>();
    for (const c of all) {
      if (c.native.some((k) => !covered.has(k))) {
        cases.push(c);
        c.native.forEach((k) => covered.add(k));
      }
    }
  }

  test.each(cases.map((c) => [c.name, c] as const))('outputs released on dispose: %s', async (_name, c) => {
    await useBackend(BACKEND_NAME);
    const xs = caseInputs(c).map((v, i) => tf.tensor(v, c.inputs[i].shape, v instanceof Int32Array ? 'int32' : 'float32'));
    try {
      const base = counters();
      const y = tf.tidy(() => c.op(...xs));
      const bytesPerElement = y.dtype === 'int32' || y.dtype === 'float32' ? 4 : 1;
      const live = counters();
      expect({ tensors: live.tensors, bytes: live.bytes }).toEqual({ tensors: base.tensors + 1, bytes: base.bytes + y.size * bytesPerElement });
      // One new buffer, or none where the output shares its input's (tfjs-backend-cpu's Cast).
      expect(live.buffers - base.buffers).toBeGreaterThanOrEqual(0);
      expect(live.buffers - base.buffers).toBeLessThanOrEqual(1);
      let grads: tf.Tensor[] = [];
      if (c.grad) {
        const wrt = c.grad;
        grads = tf.tidy(() =>
          tf.grads((...sub: tf.Tensor[]) => c.op(...xs.map((x, i) => (wrt.includes(i) ? sub[wrt.indexOf(i)] : x))))(
            wrt.map((i) => xs[i]),
            tf.onesLike(y),
          ),
        );
        expect(counters().tensors).toBe(base.tensors + 1 + grads.length);
      }
      y.dispose();
      tf.dispose(grads);
      expect(counters()).toEqual(base);
    } finally {
      tf.dispose(xs);
    }
  });

  test('large outputs do not accumulate (20 x 16 MiB matMul and conv2d outputs, disposed)', () => {
    const a = tf.randomNormal([2048, 1]);
    const b = tf.randomNormal([1, 2048]);
    const x = tf.randomNormal([16, 64, 64, 1]);
    const f = tf.randomNormal([1, 1, 1, 64]);
    try {
      // One round first: V8 and malloc settle on their pools for buffers of this size.
      tf.dispose([tf.matMul(a, b), tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')]);
      const base = settledMemory();
      const before = counters();
      for (let i = 0; i < 20; i++) {
        const y = tf.matMul(a, b);
        const z = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid');
        expect(y.size * 4).toBe(16 * MiB);
        expect(z.size * 4).toBe(16 * MiB);
        tf.dispose([y, z]);
      }
      expect(counters()).toEqual(before);
      const end = settledMemory();
      expect(end.rss - base.rss).toBeLessThan(RSS_SLACK);
    } finally {
      tf.dispose([a, b, x, f]);
    }
  });
});

// Buffers of disposed native outputs are recycled for later outputs (from 16384 elements on).
// Nothing that can still be seen may be recycled: data handed out by dataSync / data(), a
// reshape or clone (same buffer), a contiguous slice (a view), a variable's value. Each case
// makes a large native output, lets it be seen that way, disposes the original, churns the pool
// with same-sized native outputs of other values, then checks what is still visible.
describe('kdlts output buffers are never recycled while visible', () => {
  const ROWS = 128;
  const COLS = 256; // 32768 elements
  const source = Float32Array.from({ length: ROWS * COLS }, (_, i) => ((i * 7919) % 1000) / 100 - 5);
  const expected = source.map((v) => Math.max(0, v)); // relu(source)

  const makeRelu = () => tf.tidy(() => tf.relu(tf.tensor2d(source, [ROWS, COLS])));
  /** Same-sized native outputs with other values, some disposed (back to the pool), some kept. */
  const churn = () => {
    const kept: tf.Tensor[] = [];
    for (let i = 0; i < 6; i++) {
      const t = tf.tidy(() => tf.relu(tf.neg(tf.tensor2d(source, [ROWS, COLS]))));
      if (i % 2) kept.push(t);
      else t.dispose();
    }
    tf.dispose(kept);
    const again = tf.tidy(() => tf.exp(tf.tensor2d(source, [ROWS, COLS])));
    again.dispose();
  };
  const same = (got: ArrayLike<number>, want: ArrayLike<number>) => {
    if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return `[${i}]: ${got[i]} vs ${want[i]}`;
    return 'same';
  };

  beforeAll(async () => {
    await useBackend(BACKEND_NAME);
  });

  test('dataSync() result', () => {
    const y = makeRelu();
    const values = y.dataSync();
    y.dispose();
    churn();
    expect(same(values, expected)).toBe('same');
  });

  test('await data() result', async () => {
    const y = makeRelu();
    const values = await y.data();
    y.dispose();
    churn();
    expect(same(values, expected)).toBe('same');
  });

  test('a reshape and a clone of a disposed output', () => {
    const y = makeRelu();
    const r = tf.reshape(y, [COLS, ROWS]);
    const c = tf.clone(y);
    y.dispose();
    churn();
    expect(same(r.dataSync(), expected)).toBe('same');
    expect(same(c.dataSync(), expected)).toBe('same');
    tf.dispose([r, c]);
  });

  test('contiguous slices and splits of a disposed output', () => {
    const y = makeRelu();
    const s = tf.slice(y, [10, 0], [20, COLS]);
    const parts = tf.split(y, 4, 0);
    y.dispose();
    churn();
    expect(same(s.dataSync(), expected.subarray(10 * COLS, 30 * COLS))).toBe('same');
    parts.forEach((p, i) => expect(same(p.dataSync(), expected.subarray((i * ROWS * COLS) / 4, ((i + 1) * ROWS * COLS) / 4))).toBe('same'));
    tf.dispose([s, ...parts]);
  });

  test('a variable assigned a native output, the output disposed', () => {
    const v = tf.variable(tf.zeros([ROWS, COLS]));
    const y = makeRelu();
    v.assign(y);
    y.dispose();
    churn();
    expect(same(v.dataSync(), expected)).toBe('same');
    v.dispose();
  });

  test('a native output moved to the cpu backend', async () => {
    const y = makeRelu();
    await useBackend('cpu');
    tf.add(y, 0).dispose(); // runs on cpu: moves y's data there
    await useBackend(BACKEND_NAME);
    churn();
    expect(same(y.dataSync(), expected)).toBe('same');
    y.dispose();
  });
});

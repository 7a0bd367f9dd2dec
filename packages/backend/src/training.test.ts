// Training-curve test: the same small convnet, from the same initial weights, trained on the same
// batches with SGD + momentum on tfjs-backend-cpu and on kdlts. The two loss curves must agree
// step by step, and training must work (the loss falls, the classes are learnt).
//
// Tolerance on the loss at step s, relative to max(cpu loss, 0.05):
//   1e-3 * (1 + s / 25)   (1e-3 at the start, 9e-3 at step 200).
// Why: the kernels agree to a few float32 ulps per op (conformance.*.test.ts), and a training
// step feeds each step's rounding differences into the next weights, so the curves drift apart
// slowly; the drift grows with the steps (and chaotically where a ReLU or a max-pool tie flips).
// Measured on this model by perturbing ~30% of the outputs of every conv / matmul / reduction /
// batch-norm kernel by one ulp each step (a stand-in for float reassociation): relative
// differences ~1e-7..2e-6, at most 2.5e-5 over 200 steps; the bound leaves a >40x margin at the
// start and more later. A wrong kernel (a dropped term, a misrouted gradient) moves the loss by
// O(1e-2..1) within a few steps. The floor 0.05 keeps near-zero losses of easy batches from
// turning a 1e-9 absolute difference into a large relative one.
// The final weights must agree within 1e-2 of each tensor's largest magnitude (same reasoning),
// with a floor of 1e-4: the second conv's bias feeds batch norm, so its true gradient is zero and
// it only accumulates rounding noise (~1e-8), different on each backend.
import * as tf from '@tensorflow/tfjs-core';

import { BACKEND_NAME, installKernelSpy, kernelCounts, PARTIAL_KERNELS, resetKernelCounts, status, useBackend } from './testing/harness';
import { accuracy, batchOrder, initialWeights, makeDataset, makeTrainer, type ModelConfig } from './testing/training';

const STEPS = 200;
const BATCH = 8;
const MODEL: ModelConfig = { side: 8, filters: [2, 4], classes: 4, seed: 7 };
// Noisy, low-contrast classes: the loss falls over ~150 steps instead of collapsing at once.
const data = makeDataset(256, MODEL.side, MODEL.classes, 11, 1.0, [0.2, 0.8]);
const order = batchOrder(data.count, BATCH, STEPS, 13);

interface Run {
  losses: number[];
  accuracy: number;
  weights: Float32Array[];
  /** Kernel dispatches during the training steps (kdlts's overridden kernels). */
  counts: ReturnType<typeof kernelCounts>;
}

async function train(backend: string, weights: Awaited<ReturnType<typeof initialWeights>>): Promise<Run> {
  await useBackend(backend);
  const trainer = makeTrainer(MODEL, weights, data, 0.02);
  try {
    resetKernelCounts();
    const losses = order.map((indices) => trainer.step(indices));
    const counts = kernelCounts();
    return {
      losses,
      counts,
      accuracy: accuracy(trainer.model, data),
      weights: trainer.model.getWeights().map((w) => (w.dataSync() as Float32Array).slice()),
    };
  } finally {
    trainer.dispose();
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

describe('training curve: cpu vs kdlts', () => {
  let cpu: Run;
  let kd: Run;

  beforeAll(async () => {
    installKernelSpy();
    const w0 = await initialWeights(MODEL);
    cpu = await train('cpu', w0);
    kd = await train(BACKEND_NAME, w0);
  });

  test('the loss falls substantially and the classes are learnt on both backends', () => {
    for (const run of [cpu, kd]) {
      expect(run.losses.every(Number.isFinite)).toBe(true);
      expect(mean(run.losses.slice(-20))).toBeLessThan(0.3 * mean(run.losses.slice(0, 5)));
      expect(run.accuracy).toBeGreaterThan(0.9);
    }
    expect(Math.abs(kd.accuracy - cpu.accuracy)).toBeLessThanOrEqual(2 / data.count);
  });

  test('the loss curves agree step by step', () => {
    const problems: string[] = [];
    let worst = 0;
    cpu.losses.forEach((ref, s) => {
      const allowed = 1e-3 * (1 + s / 25) * Math.max(ref, 0.05);
      const diff = Math.abs(kd.losses[s] - ref);
      worst = Math.max(worst, diff / allowed);
      if (!(diff <= allowed) && problems.length < 5) problems.push(`step ${s}: kdlts loss ${kd.losses[s]}, cpu ${ref} (allowed ${allowed.toExponential(2)})`);
    });
    if (process.env.KDLTS_CONFORMANCE_VERBOSE === '1') console.log(`training curve: worst |diff|/allowed ${worst.toPrecision(3)}`);
    expect(problems).toEqual([]);
  });

  test('the final weights agree', () => {
    const problems: string[] = [];
    let worst = 0;
    cpu.weights.forEach((ref, i) => {
      let scale = 0;
      for (const v of ref) scale = Math.max(scale, Math.abs(v), 1e-2);
      for (let j = 0; j < ref.length; j++) {
        worst = Math.max(worst, Math.abs(kd.weights[i][j] - ref[j]) / (1e-2 * scale));
        if (!(Math.abs(kd.weights[i][j] - ref[j]) <= 1e-2 * scale)) {
          problems.push(`weight ${i}[${j}]: kdlts ${kd.weights[i][j]}, cpu ${ref[j]} (scale ${scale})`);
          break;
        }
      }
    });
    if (process.env.KDLTS_CONFORMANCE_VERBOSE === '1') console.log(`final weights: worst |diff|/allowed ${worst.toPrecision(3)}`);
    expect(problems).toEqual([]);
  });

  test('kdlts trained on its native kernels', () => {
    const seen = kd.counts;
    if (process.env.KDLTS_CONFORMANCE_VERBOSE === '1') console.log(JSON.stringify(seen));
    const required = [
      'Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'FusedBatchNorm',
      'Relu', 'Sum', 'Mean', 'Multiply', 'Add', 'Sub',
    ];
    const problems: string[] = [];
    for (const k of required) if (!seen[k]?.calls) problems.push(`${k} never dispatched`);
    if (!seen.BatchMatMul?.calls && !seen._FusedMatMul?.calls) problems.push('no matrix product dispatched');
    if (status.native) {
      for (const [k, n] of Object.entries(seen)) if (n.fallbacks > 0 && !PARTIAL_KERNELS.has(k)) problems.push(`${k} fell back to cpu ${n.fallbacks} of ${n.calls} times`);
    }
    expect(problems).toEqual([]);
  });

  test('no tensors are left behind', () => {
    // Every backend's trainer has been disposed; what remains is tfjs-layers' and the
    // optimizer's own bookkeeping (a handful of scalars), not per-step tensors.
    expect(tf.memory().numTensors).toBeLessThan(30);
  });
});

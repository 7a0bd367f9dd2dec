import * as tf from '@tensorflow/tfjs-core';
import { nnBinding } from '@kdlts/native';

import { BACKEND_NAME, registerKdltsBackend, sgdUpdate, type SgdUpdateAttrs, type SgdUpdateResult } from '../index';
import type { KdltsBackend } from '../kdlts_backend';
import { replayHint, Rng, seedFor } from '../testing/random';

// The fused SGD update (kdlts) against the definition written as tfjs ops and run on
// tfjs-backend-cpu: bitwise equal (each step of the definition is one float operation, which the
// native kernel performs in the same order without FMA contraction).

/** The definition in kdlts_nn.h as tfjs ops, independently of the op's own fallback. */
function expected(w: tf.Tensor, g: tf.Tensor, v: tf.Tensor | null, mask: tf.Tensor | null, a: SgdUpdateAttrs): SgdUpdateResult {
  const [wNew, vNew] = tf.tidy(() => {
    const lr = tf.scalar(a.lr, 'float32'), momentum = tf.scalar(a.momentum, 'float32'), wd = tf.scalar(a.weightDecay, 'float32');
    let d = mask ? tf.mul(g, mask) : g;
    if (a.weightDecay > 0) d = tf.add(d, tf.mul(w, wd));
    let vNew: tf.Tensor | null = null;
    if (a.momentum > 0) {
      vNew = tf.add(tf.mul(v!, momentum), d);
      d = a.nesterov ? tf.add(d, tf.mul(vNew, momentum)) : vNew;
    }
    let updated = tf.sub(w, tf.mul(d, lr));
    if (mask) updated = tf.mul(updated, mask);
    return vNew ? [updated, vNew] : [updated];
  });
  return { w: wNew, v: vNew ?? null };
}

interface State {
  w: Float32Array;
  g: Float32Array;
  v: Float32Array;
  mask: Float32Array;
}

function randomState(rng: Rng, n: number): State {
  const normal = (sd: number) => Float32Array.from({ length: n }, () => rng.normal(0, sd));
  return { w: normal(1), g: normal(0.3), v: normal(0.1), mask: Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1)) };
}

/** Index of the first element whose bits differ, or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function expectSameBits(actual: Float32Array, want: Float32Array, what: string): void {
  const i = firstBitDifference(actual, want);
  if (i >= 0) throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${want[i]} (${replayHint()})`);
}

interface Config {
  mask: boolean;
  attrs: SgdUpdateAttrs;
}

const CONFIGS: Config[] = [];
for (const mask of [false, true])
  for (const weightDecay of [0, 5e-4])
    for (const [momentum, nesterov] of [[0, false], [0.9, false], [0.9, true], [0.37, true]] as const)
      CONFIGS.push({ mask, attrs: { lr: 0.0137, momentum, weightDecay, nesterov } });

const label = (c: Config) =>
  `${c.mask ? 'mask' : 'no mask'}, momentum ${c.attrs.momentum}${c.attrs.nesterov ? ' nesterov' : ''}, weight decay ${c.attrs.weightDecay}`;

/**
 * Runs `steps` updates from `state` on the active backend and reads the last w and v. Earlier
 * outputs are only disposed, never read, so on kdlts their buffers go back to the pool, are
 * filled with NaN and become the next step's outputs: no result may depend on what they held.
 */
function runSteps(state: State, shape: number[], c: Config, steps: number, update: typeof sgdUpdate) {
  let w = tf.tensor(state.w, shape);
  let v = c.attrs.momentum > 0 ? tf.tensor(state.v, shape) : null;
  const g = tf.tensor(state.g, shape);
  const mask = c.mask ? tf.tensor(state.mask, shape) : null;
  for (let s = 0; s < steps; s++) {
    const r = update(w, g, v, mask, c.attrs);
    w.dispose();
    v?.dispose();
    (tf.backend() as Partial<KdltsBackend>).pool?.fillFree(Number.NaN);
    w = r.w;
    v = r.v;
  }
  const out = { w: w.dataSync() as Float32Array, v: v ? (v.dataSync() as Float32Array) : null };
  for (const t of [w, v, g, mask]) t?.dispose();
  return out;
}

describe('sgdUpdate', () => {
  const status = registerKdltsBackend();
  const native = status.native && tf.getKernel('KdltsSgdUpdate', BACKEND_NAME) !== undefined;

  it('is served by the native kernel on kdlts when the addon is built', () => {
    if (process.env.CI) expect(native).toBe(true);
    if (status.native) expect(typeof nnBinding?.sgdUpdate).toBe('function');
  });

  const shapes = [[1], [7], [37, 53], [131, 131]]; // the last is pooled (>= 2^14 elements)
  const STEPS = 4;
  describe.each(CONFIGS.map((c) => [label(c), c] as const))('%s', (_name, config) => {
    it.each(shapes.map((s) => [s.join('x'), s] as const))(`shape %s: kdlts equals the tfjs ops on cpu, bitwise, after ${STEPS} steps`, async (_s, shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const state = randomState(new Rng(seedFor(`sgd ${label(config)} ${shape}`)), n);
      await tf.setBackend('cpu');
      const want = runSteps(state, shape, config, STEPS, expected);
      await tf.setBackend(BACKEND_NAME);
      const spy = nnBinding && native ? jest.spyOn(nnBinding, 'sgdUpdate') : null;
      const tensorsBefore = tf.memory().numTensors;
      const got = runSteps(state, shape, config, STEPS, sgdUpdate);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      if (spy) {
        expect(spy).toHaveBeenCalledTimes(STEPS);
        spy.mockRestore();
      }
      expectSameBits(got.w, want.w, 'w');
      if (config.attrs.momentum > 0) expectSameBits(got.v!, want.v!, 'v');
      else expect(got.v).toBeNull();
      if (config.mask) {
        const nonzero = got.w.filter((x, i) => state.mask[i] === 0 && x !== 0).length; // +0 or -0
        expect(nonzero).toBe(0);
      }
    });
  });

  it('runs one kernel on kdlts (no tfjs mul/add/sub) and the composition elsewhere', async () => {
    const shape = [64, 65];
    const state = randomState(new Rng(seedFor('sgd profile')), 64 * 65);
    const attrs = { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true };
    const kernelsOn = async (backend: string) => {
      await tf.setBackend(backend);
      const [w, g, v, mask] = [state.w, state.g, state.v, state.mask].map((a) => tf.tensor(a, shape));
      const profile = await tf.profile(() => {
        const r = sgdUpdate(w, g, v, mask, attrs);
        return [r.w, r.v!];
      });
      tf.dispose([w, g, v, mask, ...(profile.result as tf.Tensor[])]);
      return profile.kernelNames;
    };
    if (native) expect(await kernelsOn(BACKEND_NAME)).toEqual(['KdltsSgdUpdate']);
    const onCpu = await kernelsOn('cpu');
    expect(onCpu).toEqual(expect.arrayContaining(['Multiply', 'Add', 'Sub']));
    expect(onCpu).not.toContain('KdltsSgdUpdate');
  });

  it('works on the cpu backend (the tfjs composition) without calling the native kernel or leaking', async () => {
    await tf.setBackend('cpu');
    const spy = nnBinding ? jest.spyOn(nnBinding, 'sgdUpdate') : null;
    const before = tf.memory().numTensors;
    const w = tf.tensor1d([1, -2, 3, 4]), g = tf.tensor1d([0.5, 0.5, -1, 2]), v = tf.tensor1d([0, 1, 0, -1]);
    const mask = tf.tensor1d([1, 1, 0, 1]);
    const r = sgdUpdate(w, g, v, mask, { lr: 0.5, momentum: 0.5, weightDecay: 0, nesterov: false });
    // v' = 0.5 v + g * mask = [0.5, 1, 0, 1.5]; w' = (w - 0.5 v') * mask = [0.75, -2.5, 0, 3.25]
    expect(Array.from(r.v!.dataSync())).toEqual([0.5, 1, 0, 1.5]);
    expect(Array.from(r.w.dataSync())).toEqual([0.75, -2.5, 0, 3.25]);
    expect(tf.memory().numTensors).toBe(before + 6);
    const plain = sgdUpdate(w, g, null, null, { lr: 2, momentum: 0, weightDecay: 0.5, nesterov: false });
    expect(plain.v).toBeNull();
    // w' = w - 2 (g + 0.5 w) = -2g
    expect(Array.from(plain.w.dataSync())).toEqual([-1, -1, 2, -4]);
    tf.dispose([w, g, v, mask, r.w, r.v!, plain.w]);
    expect(tf.memory().numTensors).toBe(before);
    if (spy) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  });

  it('handles empty variables on every backend', async () => {
    for (const backend of ['cpu', BACKEND_NAME]) {
      await tf.setBackend(backend);
      const [w, g, v] = [tf.zeros([0, 3]), tf.zeros([0, 3]), tf.zeros([0, 3])];
      const r = sgdUpdate(w, g, v, null, { lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false });
      expect(r.w.shape).toEqual([0, 3]);
      expect(r.v!.shape).toEqual([0, 3]);
      tf.dispose([w, g, v, r.w, r.v!]);
    }
  });

  it.each([
    [{ momentum: 1 }, true, /momentum must be in \[0, 1\), got 1/],
    [{ momentum: -0.1 }, true, /momentum must be in \[0, 1\)/],
    [{ momentum: 0.9999999999 }, true, /momentum must be in \[0, 1\)/], // rounds to 1 in float32
    [{ momentum: 0, nesterov: true }, false, /nesterov needs momentum > 0/],
    [{ lr: Number.NaN }, true, /lr must be a finite float32/],
    [{ lr: 1e39 }, true, /lr must be a finite float32/],
    [{ weightDecay: -1e-4 }, true, /weightDecay must be >= 0/],
    [{ momentum: 0.9 }, false, /momentum > 0 needs the velocity v/],
    [{ momentum: 0 }, true, /v must be null when momentum is 0/],
  ] as const)('rejects %j (v given: %s) on every backend', async (bad, withV, message) => {
    for (const backend of ['cpu', BACKEND_NAME]) {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const [w, g, v] = [tf.ones([5]), tf.ones([5]), tf.zeros([5])];
      const attrs = { lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false, ...bad };
      expect(() => sgdUpdate(w, g, withV ? v : null, null, attrs)).toThrow(message);
      tf.dispose([w, g, v]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('rejects mismatched shapes and non-float32 tensors', async () => {
    await tf.setBackend(BACKEND_NAME);
    const attrs = { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false };
    const w = tf.ones([2, 3]);
    const g = tf.ones([3, 2]);
    const mask = tf.ones([6]);
    const ints = tf.ones([2, 3], 'int32');
    expect(() => sgdUpdate(w, g, null, null, attrs)).toThrow(/g has shape \[3,2\], expected w's shape \[2,3\]/);
    expect(() => sgdUpdate(w, w, null, mask, attrs)).toThrow(/mask has shape \[6\]/);
    expect(() => sgdUpdate(w, ints, null, null, attrs)).toThrow(/g must be float32, got int32/);
    tf.dispose([w, g, mask, ints]);
  });
});

describe('nnBinding.sgdUpdate (the addon)', () => {
  const nn = typeof nnBinding?.sgdUpdate === 'function' ? nnBinding : null;
  const maybe = nn ? it : it.skip;
  const f = (...v: number[]) => Float32Array.from(v);

  maybe('updates in place (wOut = w, vOut = v)', () => {
    const w = f(1, -2, 3, 4), v = f(0, 1, 0, -1);
    nn!.sgdUpdate(w, f(0.5, 0.5, -1, 2), v, f(1, 1, 0, 1), w, v, 0.5, 0.5, 0, false);
    expect(Array.from(v)).toEqual([0.5, 1, 0, 1.5]);
    expect(Array.from(w)).toEqual([0.75, -2.5, 0, 3.25]);
  });

  maybe('names bad arguments and turns C statuses into coded errors', () => {
    const w = f(1, 2, 3), g = f(1, 1, 1), v = f(0, 0, 0), out = new Float32Array(3), vOut = new Float32Array(3);
    // (The addon's TypeError / RangeError come from Node's realm, not jest's: match messages.)
    expect(() => nn!.sgdUpdate(new Float64Array(3) as unknown as Float32Array, g, v, null, out, vOut, 0.1, 0.9, 0, false))
      .toThrow(/sgdUpdate: argument 'w' must be a Float32Array, got Float64Array/);
    expect(() => nn!.sgdUpdate(w, f(1, 1), v, null, out, vOut, 0.1, 0.9, 0, false)).toThrow(/sgdUpdate: argument 'g' has length 2, expected 3/);
    expect(() => nn!.sgdUpdate(w, g, v, f(1), out, vOut, 0.1, 0.9, 0, false)).toThrow(/argument 'mask' has length 1, expected 3/);
    expect(() => nn!.sgdUpdate(w, g, v, null, out, vOut, Number.NaN, 0.9, 0, false)).toThrow(/argument 'lr' must be finite/);
    expect(() => nn!.sgdUpdate(w, g, v, null, out, vOut, 0.1, 0.9, 0, 1 as unknown as boolean)).toThrow(/'nesterov' must be a boolean/);
    let error: (Error & { code?: string }) | undefined;
    try {
      nn!.sgdUpdate(w, g, v, null, out, vOut, 0.1, 1, 0, false);
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error?.message).toMatch(/sgdUpdate: sgd_update: momentum must be in \[0, 1\), got 1/);
    expect(error?.code).toBe('KDLTS_ERR_INVALID_ARGUMENT');
    expect(() => nn!.sgdUpdate(w, g, null, null, out, null, 0.1, 0, 0, true)).toThrow(/nesterov needs momentum > 0/);
    expect(() => nn!.sgdUpdate(w, g, v, null, g, vOut, 0.1, 0.9, 0, false)).toThrow(/w_out overlaps g/);
  });
});

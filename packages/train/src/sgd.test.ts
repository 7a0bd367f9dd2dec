import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@kdlts/backend';
import { mulberry32 } from '@kdlts/data';

import { MaskedSgd, type SgdConfig } from './sgd';

// MaskedSgd against a plain float64 reference of PyTorch's SGD rule, over several steps with fresh
// random gradients. Tolerance: float32 rounding of a few multiply-adds per step, 1e-5 relative.
function referenceSgd(w: number[], grads: number[][], lrs: number[], c: SgdConfig, mask?: number[]): number[] {
  const m = c.momentum ?? 0;
  const wd = c.weightDecay ?? 0;
  let v = w.map(() => 0);
  w = mask ? w.map((x, i) => x * mask[i]) : w.slice();
  grads.forEach((g0, s) => {
    const g = g0.map((x, i) => (mask ? x * mask[i] : x) + wd * w[i]);
    let d = g;
    if (m > 0) {
      v = v.map((x, i) => m * x + g[i]);
      d = c.nesterov ? g.map((x, i) => x + m * v[i]) : v;
    }
    w = w.map((x, i) => (x - lrs[s] * d[i]) * (mask ? mask[i] : 1));
  });
  return w;
}

beforeAll(async () => {
  await useBackend({ backend: 'kdlts' });
});

const configs: SgdConfig[] = [
  {},
  { momentum: 0.9 },
  { momentum: 0.9, nesterov: true },
  { momentum: 0.5, weightDecay: 0.01 },
  { momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
];

describe.each(configs)('MaskedSgd %j', (config) => {
  test.each([false, true])('matches the reference over 6 steps (masked: %s)', (masked) => {
    const rng = mulberry32(JSON.stringify(config).length * 7 + (masked ? 1 : 0));
    const n = 37;
    const w0 = Array.from({ length: n }, () => rng.next() * 2 - 1);
    const mask = masked ? Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0)) : undefined;
    const grads = Array.from({ length: 6 }, () => Array.from({ length: n }, () => rng.next() * 2 - 1));
    const lrs = [0.1, 0.1, 0.05, 0.05, 0.01, 0.2];
    const variable = tf.variable(tf.tensor1d(w0));
    const maskT = mask ? tf.tensor1d(mask) : undefined;
    if (maskT) variable.assign(tf.mul(variable, maskT));
    const opt = new MaskedSgd([{ name: 'w', variable, mask: maskT }], config);
    for (let s = 0; s < grads.length; s++) {
      const g = tf.tensor1d(grads[s]);
      opt.step({ [variable.name]: g }, lrs[s]);
      g.dispose();
    }
    const got = variable.dataSync();
    const want = referenceSgd(w0, grads, lrs, config, mask);
    for (let i = 0; i < n; i++) {
      if (mask && mask[i] === 0) expect(got[i] === 0).toBe(true); // exactly zero (+0 or -0), not just small
      else expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i])));
    }
    opt.dispose();
    tf.dispose([variable, maskT!].filter(Boolean));
  });
});

describe('MaskedSgd state', () => {
  test('getState/setState continue a run exactly', () => {
    const mk = () => tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]));
    const grads = [[[0.1, 0.2], [-0.3, 0.4]], [[0.5, -0.1], [0.2, 0.3]], [[-0.2, 0.1], [0.1, -0.4]]].map((g) => tf.tensor2d(g));
    const cfg = { momentum: 0.9, nesterov: true, weightDecay: 0.01 };
    const a = mk();
    const optA = new MaskedSgd([{ name: 'w', variable: a }], cfg);
    grads.forEach((g) => optA.step({ [a.name]: g }, 0.1));
    const b = mk();
    const optB = new MaskedSgd([{ name: 'w', variable: b }], cfg);
    optB.step({ [b.name]: grads[0] }, 0.1);
    const c = tf.variable(b.clone());
    const optC = new MaskedSgd([{ name: 'w', variable: c }], cfg);
    optC.setState(optB.getState());
    grads.slice(1).forEach((g) => optC.step({ [c.name]: g }, 0.1));
    expect(Array.from(c.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => optC.setState(new Map())).toThrow(/no velocity for 'w'/);
    expect(() => optC.setState(new Map([['w', { shape: [4], values: new Float32Array(4) }]]))).toThrow(/shape \[4\]/);
    [optA, optB, optC].forEach((o) => o.dispose());
    tf.dispose([a, b, c, ...grads]);
  });

  test('bad settings and inputs are clear errors', () => {
    const v = tf.variable(tf.zeros([3]));
    expect(() => new MaskedSgd([{ name: 'w', variable: v }], { momentum: 1 })).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => new MaskedSgd([{ name: 'w', variable: v }], { weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => new MaskedSgd([{ name: 'w', variable: v }], { nesterov: true })).toThrow(/nesterov needs momentum/);
    expect(() => new MaskedSgd([{ name: 'w', variable: v, mask: tf.ones([4]) }])).toThrow(/mask of 'w' has shape \[4\]/);
    expect(() => new MaskedSgd([{ name: 'w', variable: v }, { name: 'w', variable: v }])).toThrow(/appears twice/);
    const opt = new MaskedSgd([{ name: 'w', variable: v }]);
    expect(() => opt.step({}, 0.1)).toThrow(/no gradient for 'w'/);
    v.dispose();
  });
});

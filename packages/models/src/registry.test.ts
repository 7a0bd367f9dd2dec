import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { MODEL_NAMES, buildModel, getModelSpec, isModelName } from './registry';
import { deriveSeed } from './seed';
import { useCpuBackend } from './testing/cpu';

beforeAll(useCpuBackend);

const weights = (model: tfl.LayersModel) => model.getWeights().map((w) => w.dataSync() as Float32Array);
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const sameBits = (a: Float32Array[], b: Float32Array[]) =>
  a.length === b.length && a.every((w, i) => w.length === b[i].length && bits(w).every((x, j) => x === bits(b[i])[j]));

describe('registry', () => {
  it('lists the models and rejects unknown names', () => {
    expect(MODEL_NAMES).toEqual(['lenet300', 'conv2', 'conv4', 'conv6', 'resnet20', 'vgg16']);
    for (const name of MODEL_NAMES) expect(getModelSpec(name).name).toBe(name);
    expect(isModelName('vgg19')).toBe(false);
    expect(() => buildModel('vgg19', { seed: 0 })).toThrow(/unknown model 'vgg19'/);
  });

  it('derives distinct per-layer seeds', () => {
    const seeds = new Set<number>();
    for (let s = 0; s < 20; s++) for (let i = 0; i < 50; i++) seeds.add(deriveSeed(s, i));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(3, 4)).toBe(deriveSeed(3, 4));
  });

  // Built three times each, so at a small input where the dense layers' size depends on it (the
  // initialization does not); VGG-16 (14.7M parameters, seconds per build) checks its own
  // determinism in vgg16.test.ts.
  const SMALL: Partial<Record<string, number[]>> = { conv2: [8, 8, 1], conv4: [8, 8, 1], conv6: [8, 8, 1] };
  describe.each(MODEL_NAMES.filter((name) => name !== 'vgg16'))('%s', (name) => {
    it('gives bitwise the same weights for the same seed, different ones for another seed', () => {
      const inputShape = SMALL[name];
      const a = buildModel(name, { seed: 42, inputShape });
      const b = buildModel(name, { seed: 42, inputShape });
      const c = buildModel(name, { seed: 43, inputShape });
      const [wa, wb, wc] = [a, b, c].map(weights);
      expect(sameBits(wa, wb)).toBe(true);
      // every randomly initialized kernel differs (biases and BN parameters start constant)
      const kernels = a.weights.map((w, i) => (/kernel/.test(w.originalName) ? i : -1)).filter((i) => i >= 0);
      expect(kernels.length).toBeGreaterThan(0);
      for (const i of kernels) expect(sameBits([wa[i]], [wc[i]])).toBe(false);
      // and no two layers share an initialization stream
      const firsts = kernels.map((i) => wa[i][0]);
      expect(new Set(firsts).size).toBe(firsts.length);
      [a, b, c].forEach((m) => m.dispose());
    });
  });
});

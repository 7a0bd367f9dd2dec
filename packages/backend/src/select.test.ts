import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import { BACKEND_ENV, useBackend } from './index';

// A stand-in for tfjs-node: loading it registers a 'tensorflow' backend.
function fakeTfjsNode(available: string[]) {
  const tried: string[] = [];
  const requireOptional = (name: string) => {
    tried.push(name);
    if (!available.includes(name)) throw new Error(`Cannot find module '${name}'`);
    if (!tf.findBackendFactory('tensorflow')) tf.registerBackend('tensorflow', () => new MathBackendCPU(), 0);
    return {};
  };
  return { tried, requireOptional };
}

describe('useBackend', () => {
  afterEach(() => {
    if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
  });

  it('auto picks kdlts when neither tfjs-node-gpu nor tfjs-node is installed, having tried both in order', async () => {
    const fake = fakeTfjsNode([]);
    const selection = await useBackend({ env: {}, requireOptional: fake.requireOptional });
    expect(selection.name).toBe('kdlts');
    expect(tf.getBackend()).toBe('kdlts');
    expect(fake.tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(selection.reason).toMatch(/not installed/);
  });

  it('auto prefers tfjs-node-gpu, then tfjs-node', async () => {
    const gpu = fakeTfjsNode(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(await useBackend({ env: {}, requireOptional: gpu.requireOptional })).toMatchObject({
      name: 'tensorflow',
      reason: expect.stringContaining('tfjs-node-gpu'),
    });
    expect(gpu.tried).toEqual(['@tensorflow/tfjs-node-gpu']);
    tf.removeBackend('tensorflow');
    const node = fakeTfjsNode(['@tensorflow/tfjs-node']);
    const selection = await useBackend({ env: {}, requireOptional: node.requireOptional });
    expect(selection.name).toBe('tensorflow');
    expect(selection.reason).toMatch(/@tensorflow\/tfjs-node$/);
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('the environment variable overrides auto, and the option overrides the variable', async () => {
    const fake = fakeTfjsNode(['@tensorflow/tfjs-node']);
    expect((await useBackend({ env: { [BACKEND_ENV]: 'cpu' }, requireOptional: fake.requireOptional })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(fake.tried).toEqual([]);
    const selection = await useBackend({ backend: 'kdlts', env: { [BACKEND_ENV]: 'cpu' }, requireOptional: fake.requireOptional });
    expect(selection.name).toBe('kdlts');
    expect(selection.reason).toMatch(/^backend option/);
  });

  it('unknown choices and a missing tensorflow backend are clear errors', async () => {
    const fake = fakeTfjsNode([]);
    await expect(useBackend({ env: { [BACKEND_ENV]: 'webgl' } })).rejects.toThrow(
      /KDLTS_TF_BACKEND: unknown tfjs backend 'webgl' \(expected one of auto, kdlts, tensorflow, cpu\)/,
    );
    await expect(useBackend({ backend: 'gpu', env: {} })).rejects.toThrow(/backend option: unknown tfjs backend 'gpu'/);
    await expect(useBackend({ backend: 'tensorflow', env: {}, requireOptional: fake.requireOptional })).rejects.toThrow(
      /neither tfjs-node-gpu nor tfjs-node loads \(@tensorflow\/tfjs-node-gpu: Cannot find module/,
    );
  });
});

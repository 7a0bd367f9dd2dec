import * as tf from '@tensorflow/tfjs-core';

import { BACKEND_NAME, BACKEND_PRIORITY, nativeKernelConfigs, registerKdltsBackend } from './index';

describe('the kdlts backend', () => {
  const status = registerKdltsBackend();

  it('registers every tfjs-backend-cpu kernel under its own name', () => {
    const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).sort();
    const ours = tf.getKernelsForBackend(BACKEND_NAME).map((k) => k.kernelName);
    // Plus the fused training-mode batch norm, ReLU gradient and SGD update, which tfjs has no
    // kernels for.
    const fused = ['KdltsBatchNormTrain', 'KdltsBatchNormTrainGrad', 'KdltsReluGrad', 'KdltsSgdUpdate'];
    expect(ours.filter((name) => !fused.includes(name)).sort()).toEqual(cpu);
    if (status.native) expect(ours).toEqual(expect.arrayContaining(fused));
    expect(cpu.length).toBeGreaterThan(150);
  });

  it('serves the training kernels natively when the addon is built (CI builds it)', () => {
    if (process.env.CI) expect(status).toMatchObject({ native: true });
    if (!status.native) return;
    expect(status.nativeKernels.sort()).toEqual(nativeKernelConfigs.map((k) => k.kernelName).sort());
    for (const name of ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', '_FusedMatMul', 'FusedBatchNorm', 'Add', 'Sum']) {
      expect(tf.getKernel(name, BACKEND_NAME)!.kernelFunc).not.toBe(tf.getKernel(name, 'cpu')!.kernelFunc);
    }
    // Kernels it does not override are tfjs-backend-cpu's own.
    expect(tf.getKernel('GatherV2', BACKEND_NAME)!.kernelFunc).toBe(tf.getKernel('GatherV2', 'cpu')!.kernelFunc);
  });

  it('is registered once, above cpu and below tfjs-node', () => {
    expect(registerKdltsBackend()).toBe(status);
    expect(BACKEND_PRIORITY).toBeGreaterThan(1);
    expect(BACKEND_PRIORITY).toBeLessThan(3);
    expect(tf.findBackendFactory(BACKEND_NAME)).toBeTruthy();
  });

  it('keeps int32 work on the cpu kernels (fallback) with the same results', async () => {
    await tf.setBackend(BACKEND_NAME);
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.scalar(4, 'int32')));
    expect(sum.dtype).toBe('int32');
    expect(Array.from(sum.dataSync())).toEqual([5, 6, 7]);
    sum.dispose();
  });
});

// Test setup: the pure-JS cpu backend, without its "install tfjs-node" banner.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

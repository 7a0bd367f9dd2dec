// The `kdlts` TensorFlow.js backend: a MathBackendCPU (same tensor storage as tfjs-backend-cpu)
// with every cpu kernel re-registered under its own name, then the training-time kernels
// replaced by native ones (kernels/index.ts). Without the native core it is the cpu backend
// under another name, and says why.
import * as tf from '@tensorflow/tfjs-core';

import { KdltsBackend } from './kdlts_backend';
import { nativeKernelConfigs } from './kernels';
import { registerBatchNormTraining } from './ops/batch_norm_training';
import { registerReluGrad } from './ops/relu_grad';
import { registerSgdUpdate } from './ops/sgd_update';
import { nnBinding, nnUnavailableReason } from '@kdlts/native';

export const BACKEND_NAME = 'kdlts';

/**
 * Above tfjs-backend-cpu (1), below tfjs-node's `tensorflow` (3): with nothing else said, tfjs
 * picks tfjs-node when a user has it, else this backend.
 */
export const BACKEND_PRIORITY = 2;

export interface KdltsBackendStatus {
  name: typeof BACKEND_NAME;
  /** True when the native kernels are in use. */
  native: boolean;
  /** Why the native kernels are not in use. */
  reason?: string;
  /** Kernel names served by the native core. */
  nativeKernels: string[];
}

let status: KdltsBackendStatus | null = null;

/** Registers the `kdlts` backend (idempotent) and says whether its native kernels are in use. */
export function registerKdltsBackend(): KdltsBackendStatus {
  if (status) return status;
  tf.registerBackend(BACKEND_NAME, () => new KdltsBackend(), BACKEND_PRIORITY);
  for (const config of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({ ...config, backendName: BACKEND_NAME });
  }
  const nativeKernels: string[] = [];
  if (nnBinding) {
    for (const config of nativeKernelConfigs) {
      if (tf.getKernel(config.kernelName, BACKEND_NAME)) tf.unregisterKernel(config.kernelName, BACKEND_NAME);
      tf.registerKernel({ ...config, backendName: BACKEND_NAME });
      nativeKernels.push(config.kernelName);
    }
    registerBatchNormTraining();
    registerReluGrad();
    registerSgdUpdate();
  } else if (process.env.KDLTS_NATIVE !== 'reference') {
    process.emitWarning(`kdlts: native training kernels unavailable, the kdlts backend runs tfjs-backend-cpu's kernels (${nnUnavailableReason})`);
  }
  status = { name: BACKEND_NAME, native: nnBinding !== null, reason: nnUnavailableReason, nativeKernels };
  return status;
}

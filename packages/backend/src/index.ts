// @kdlts/backend: the `kdlts` TensorFlow.js backend (tfjs-backend-cpu with its training kernels
// served by the kdlts native core) and the choice between it and tfjs-node.
//
//   import { useBackend } from '@kdlts/backend';
//   await useBackend();            // tfjs-node-gpu > tfjs-node > kdlts, or KDLTS_TF_BACKEND
//
// Importing this package also registers tfjs's gradient functions (through tfjs-layers), which
// tfjs-core's Node build leaves out.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';

export { BACKEND_NAME, BACKEND_PRIORITY, registerKdltsBackend, type KdltsBackendStatus } from './backend';
export {
  BACKEND_CHOICES,
  BACKEND_ENV,
  TENSORFLOW_PACKAGES,
  useBackend,
  type BackendChoice,
  type BackendSelection,
  type SelectOptions,
} from './select';
export { nativeKernelConfigs } from './kernels';
export { FusedBatchNormalization, fusedBatchNormalization } from './layers/batch_normalization';
export { batchNormTraining, type BatchNormTrainingResult } from './ops/batch_norm_training';
export { sgdUpdate, type SgdUpdateAttrs, type SgdUpdateResult } from './ops/sgd_update';

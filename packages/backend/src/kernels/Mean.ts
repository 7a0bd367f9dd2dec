import { Mean } from '@tensorflow/tfjs-core';
import { ReduceOp } from '@kdlts/native';

import { reduceKernel } from './reduce_kernel';

export const meanConfig = reduceKernel(Mean, ReduceOp.mean);

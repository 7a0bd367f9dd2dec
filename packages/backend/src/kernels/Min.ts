import { Min } from '@tensorflow/tfjs-core';
import { ReduceOp } from '@kdlts/native';

import { reduceKernel } from './reduce_kernel';

export const minConfig = reduceKernel(Min, ReduceOp.min);

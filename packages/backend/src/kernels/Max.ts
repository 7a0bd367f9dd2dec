import { Max } from '@tensorflow/tfjs-core';
import { ReduceOp } from '@kdlts/native';

import { reduceKernel } from './reduce_kernel';

export const maxConfig = reduceKernel(Max, ReduceOp.max);

import { Sum } from '@tensorflow/tfjs-core';
import { ReduceOp } from '@kdlts/native';

import { reduceKernel } from './reduce_kernel';

export const sumConfig = reduceKernel(Sum, ReduceOp.sum);

import { Neg } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const negConfig = unaryKernel(Neg, UnaryOp.neg);

import { Sigmoid } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const sigmoidConfig = unaryKernel(Sigmoid, UnaryOp.sigmoid);

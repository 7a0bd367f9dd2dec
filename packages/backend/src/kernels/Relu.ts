import { Relu } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const reluConfig = unaryKernel(Relu, UnaryOp.relu);

import { Relu6 } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const relu6Config = unaryKernel(Relu6, UnaryOp.relu6);

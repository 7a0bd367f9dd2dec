import { Reciprocal } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const reciprocalConfig = unaryKernel(Reciprocal, UnaryOp.reciprocal);

import { Abs } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const absConfig = unaryKernel(Abs, UnaryOp.abs);

import { Sqrt } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const sqrtConfig = unaryKernel(Sqrt, UnaryOp.sqrt);

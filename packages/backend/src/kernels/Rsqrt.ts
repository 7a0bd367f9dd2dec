import { Rsqrt } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const rsqrtConfig = unaryKernel(Rsqrt, UnaryOp.rsqrt);

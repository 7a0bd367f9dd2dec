import { Exp } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const expConfig = unaryKernel(Exp, UnaryOp.exp);

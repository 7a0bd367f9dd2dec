import { Tanh } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const tanhConfig = unaryKernel(Tanh, UnaryOp.tanh);

import { Log } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const logConfig = unaryKernel(Log, UnaryOp.log);

import { Square } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const squareConfig = unaryKernel(Square, UnaryOp.square);

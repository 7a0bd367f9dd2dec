import { Multiply } from '@tensorflow/tfjs-core';
import { BinaryOp } from '@kdlts/native';

import { binaryKernel } from './binary_kernel';

export const multiplyConfig = binaryKernel(Multiply, BinaryOp.mul);

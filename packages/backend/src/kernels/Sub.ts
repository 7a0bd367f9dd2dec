import { Sub } from '@tensorflow/tfjs-core';
import { BinaryOp } from '@kdlts/native';

import { binaryKernel } from './binary_kernel';

export const subConfig = binaryKernel(Sub, BinaryOp.sub);

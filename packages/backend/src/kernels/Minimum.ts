import { Minimum } from '@tensorflow/tfjs-core';
import { BinaryOp } from '@kdlts/native';

import { binaryKernel } from './binary_kernel';

export const minimumConfig = binaryKernel(Minimum, BinaryOp.minimum);

import { Maximum } from '@tensorflow/tfjs-core';
import { BinaryOp } from '@kdlts/native';

import { binaryKernel } from './binary_kernel';

export const maximumConfig = binaryKernel(Maximum, BinaryOp.maximum);

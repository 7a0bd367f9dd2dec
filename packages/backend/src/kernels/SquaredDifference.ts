import { SquaredDifference } from '@tensorflow/tfjs-core';
import { BinaryOp } from '@kdlts/native';

import { binaryKernel } from './binary_kernel';

export const squaredDifferenceConfig = binaryKernel(SquaredDifference, BinaryOp.squaredDifference);

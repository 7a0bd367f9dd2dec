import { RealDiv } from '@tensorflow/tfjs-core';
import { BinaryOp } from '@kdlts/native';

import { binaryKernel } from './binary_kernel';

export const realDivConfig = binaryKernel(RealDiv, BinaryOp.div);

import { Add } from '@tensorflow/tfjs-core';
import { BinaryOp } from '@kdlts/native';

import { binaryKernel } from './binary_kernel';

export const addConfig = binaryKernel(Add, BinaryOp.add);

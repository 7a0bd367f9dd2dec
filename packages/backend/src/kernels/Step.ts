import { Step } from '@tensorflow/tfjs-core';
import { UnaryOp } from '@kdlts/native';

import { unaryKernel } from './unary_kernel';

export const stepConfig = unaryKernel(Step, UnaryOp.step, (attrs) => Number(attrs.alpha ?? 0));

// Every kernel the native core serves for the kdlts backend: one file each, one list (as
// tfjs-backend-cpu's register_all_kernels.ts). The rest of tfjs-backend-cpu's kernels are
// registered unchanged.
import type { KernelConfig } from '@tensorflow/tfjs-core';

import { absConfig } from './Abs';
import { addConfig } from './Add';
import { avgPoolConfig } from './AvgPool';
import { avgPoolGradConfig } from './AvgPoolGrad';
import { batchMatMulConfig } from './BatchMatMul';
import { castConfig } from './Cast';
import { conv2DConfig } from './Conv2D';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { expConfig } from './Exp';
import { fusedBatchNormConfig } from './FusedBatchNorm';
import { fusedConv2DConfig } from './FusedConv2D';
import { fusedMatMulConfig } from './_FusedMatMul';
import { logConfig } from './Log';
import { maxConfig } from './Max';
import { maximumConfig } from './Maximum';
import { maxPoolConfig } from './MaxPool';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { meanConfig } from './Mean';
import { minConfig } from './Min';
import { minimumConfig } from './Minimum';
import { multiplyConfig } from './Multiply';
import { negConfig } from './Neg';
import { realDivConfig } from './RealDiv';
import { reciprocalConfig } from './Reciprocal';
import { reluConfig } from './Relu';
import { relu6Config } from './Relu6';
import { rsqrtConfig } from './Rsqrt';
import { sigmoidConfig } from './Sigmoid';
import { softmaxConfig } from './Softmax';
import { sqrtConfig } from './Sqrt';
import { squareConfig } from './Square';
import { squaredDifferenceConfig } from './SquaredDifference';
import { stepConfig } from './Step';
import { subConfig } from './Sub';
import { sumConfig } from './Sum';
import { tanhConfig } from './Tanh';
import { tileConfig } from './Tile';
import { transposeConfig } from './Transpose';

export const nativeKernelConfigs: KernelConfig[] = [
  batchMatMulConfig,
  fusedMatMulConfig,
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  avgPoolConfig,
  avgPoolGradConfig,
  fusedBatchNormConfig,
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  squaredDifferenceConfig,
  maximumConfig,
  minimumConfig,
  reluConfig,
  relu6Config,
  stepConfig,
  negConfig,
  absConfig,
  squareConfig,
  sqrtConfig,
  rsqrtConfig,
  expConfig,
  logConfig,
  sigmoidConfig,
  tanhConfig,
  reciprocalConfig,
  sumConfig,
  meanConfig,
  maxConfig,
  minConfig,
  softmaxConfig,
  castConfig,
  tileConfig,
  transposeConfig,
];

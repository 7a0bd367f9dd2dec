// ResNet-20 for CIFAR (He et al. 2016, section 4.2): 3x3 conv 16, then 3 stages of 3 basic
// blocks (two 3x3 convs each) with 16, 32, 64 channels, stride 2 at the first block of stages
// 2 and 3; batch norm after every conv, ReLU, global average pooling, dense classes.
// Shortcuts: option A (identity, subsampled and zero-padded where the shape changes: see
// shortcut.ts), the paper's choice for CIFAR, so the shortcuts add no parameters.
// Convs have no bias (batch norm follows). Batch norm is tfjs-layers' BatchNormalization with
// @kdlts/backend's fused training kernel (the same layer and weights; one kernel each way); where
// a ReLU directly follows it (the stem, each block's first conv), the ReLU is fused in too. Batch norm uses PyTorch's defaults (momentum 0.1,
// i.e. moving = 0.9 * moving + 0.1 * batch, epsilon 1e-5), as the reference implementations do.
// Stride-2 convs use 'same' padding (TF style: the extra row/column of padding goes after);
// PyTorch's padding=1 gives the same shapes and cost.
// Parameters at [32, 32, 3] and 10 classes: 269,722 trainable (267,696 conv, 1,376 batch-norm
// gamma/beta, 650 dense) + 1,376 batch-norm moving statistics = 271,098.
// BuildOptions.width scales the stage widths (16/32/64) and so the stem and every block.
import { fusedBatchNormalization } from '@kdlts/backend';
import * as tfl from '@tensorflow/tfjs-layers';

import { kernelWeights } from './prunable';
import { SeededInit } from './seed';
import { ShortcutA } from './shortcut';
import { call, widthScaler, type BuildOptions, type ModelSpec } from './types';

const STAGES = [16, 32, 64];
const BLOCKS_PER_STAGE = 3;

function build({ seed, inputShape = [32, 32, 3], numClasses = 10, width = 1 }: BuildOptions): tfl.LayersModel {
  const scaled = widthScaler(width);
  const init = new SeededInit(seed);
  const conv = (x: tfl.SymbolicTensor, filters: number, strides: number, name: string) =>
    call(
      tfl.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelInitializer: init.he(), name }),
      x,
    );
  const bn = (x: tfl.SymbolicTensor, name: string, activation: 'linear' | 'relu' = 'linear') =>
    call(fusedBatchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, activation, name }), x);
  const relu = (x: tfl.SymbolicTensor, name: string) => call(tfl.layers.activation({ activation: 'relu', name }), x);

  const input = tfl.input({ shape: inputShape, name: 'input' });
  const stages = STAGES.map(scaled);
  let x = bn(conv(input, stages[0], 1, 'conv1'), 'bn1', 'relu');
  let channels = stages[0];
  stages.forEach((filters, s) => {
    for (let b = 0; b < BLOCKS_PER_STAGE; b++) {
      const p = `s${s + 1}b${b + 1}`;
      const strides = s > 0 && b === 0 ? 2 : 1;
      let y = bn(conv(x, filters, strides, `${p}_conv1`), `${p}_bn1`, 'relu');
      y = bn(conv(y, filters, 1, `${p}_conv2`), `${p}_bn2`);
      const shortcut =
        strides !== 1 || channels !== filters ? call(new ShortcutA({ filters, strides, name: `${p}_shortcut` }), x) : x;
      x = relu(tfl.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor, `${p}_relu2`);
      channels = filters;
    }
  });
  x = call(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const logits = call(tfl.layers.dense({ units: numClasses, kernelInitializer: init.glorot(), name: 'logits' }), x);
  return tfl.model({ inputs: input, outputs: logits, name: 'resnet20' });
}

export const resnet20: ModelSpec = {
  name: 'resnet20',
  description: 'ResNet-20 (CIFAR): 3x3 conv 16, 3 stages x 3 basic blocks (16/32/64), BN, option-A shortcuts, GAP, dense',
  defaultInputShape: [32, 32, 3],
  build,
  // each stage's last block output (after its add + ReLU)
  taps: ['s1b3_relu2', 's2b3_relu2', 's3b3_relu2'],
  prunableWeights: kernelWeights,
};

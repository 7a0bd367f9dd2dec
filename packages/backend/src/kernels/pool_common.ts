// Shared by the pooling kernels: the window geometry tfjs computes, and whether native runs it.
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

import { allFloat32, type Backend } from './util';

export interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function poolInfo(x: TensorInfo, attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/** Native pooling handles float32 NHWC with non-negative padding. */
export function nativePool(backend: Backend, info: tf.backend_util.Conv2DInfo, ...ts: TensorInfo[]): boolean {
  return allFloat32(backend, ...ts) && info.padInfo.top >= 0 && info.padInfo.left >= 0;
}

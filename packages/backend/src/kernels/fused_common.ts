// Shared by the fused kernels: which epilogues the native core runs.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { Activation } from '@kdlts/native';

import { sizeOf } from './util';

/** The native activation code, or null for the ones tfjs-backend-cpu must run (prelu, elu...). */
export function fusedActivation(name: string | undefined): number | null {
  if (name === undefined || name === 'linear') return Activation.linear;
  if (name === 'relu') return Activation.relu;
  return null;
}

/** A bias the native epilogue adds: one value per output channel ([n], [1, n], ...). */
export function vectorBias(bias: TensorInfo, n: number): boolean {
  return sizeOf(bias.shape) === n && (bias.shape.length === 0 ? n === 1 : bias.shape[bias.shape.length - 1] === n);
}

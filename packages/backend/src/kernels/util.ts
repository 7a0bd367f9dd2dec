// What every native kernel shares: reading a tensor's float32 storage, making an output, handing
// a case the native core does not cover back to tfjs-backend-cpu, and the shape arithmetic the
// C API wants.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { Conv2dGeometry, Pool2dGeometry } from '@kdlts/native';

import type { KdltsBackend } from '../kdlts_backend';

export type Backend = KdltsBackend;

/** tfjs types kernel inputs as `TensorInfo | undefined`; the ones a kernel names are there. */
export type Present<I> = { [K in keyof I]: Exclude<I[K], undefined> };

export interface KernelArgs<I, A = NamedAttrMap> {
  inputs: Present<I>;
  backend: Backend;
  attrs: A;
}

/**
 * True when every given tensor is float32 and stored as a Float32Array (a cpu kernel may leave
 * a float32 tensor on another array type, e.g. a cast from bool).
 */
export function allFloat32(backend: Backend, ...ts: (TensorInfo | undefined)[]): boolean {
  for (const t of ts) {
    if (t && (t.dtype !== 'float32' || !(backend.data.get(t.dataId).values instanceof Float32Array))) return false;
  }
  return true;
}

/** A float32 tensor's storage (no copy). */
export function f32(backend: Backend, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** An output buffer for a native kernel (recycled, so arbitrary contents: write all of it). */
export function alloc(backend: Backend, length: number): Float32Array {
  return backend.pool.allocate(length);
}

/** A float32 output tensor on a buffer from alloc() (owned by the backend from now on). */
export function output(backend: Backend, shape: number[], values: Float32Array): TensorInfo {
  return backend.adopt(shape, values);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Runs tfjs-backend-cpu's implementation of a kernel (for the cases native does not cover). */
export function cpuFallback(kernelName: string, args: KernelArgs<unknown, unknown>): TensorInfo | TensorInfo[] {
  const config = tf.getKernel(kernelName, 'cpu');
  if (!config) throw new Error(`kdlts: tfjs-backend-cpu has no kernel ${kernelName}`);
  return config.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
}

/** A kernel config for the kdlts backend (backendName is set when registered). */
export function kernel<I, A>(
  kernelName: string,
  kernelFunc: (args: KernelArgs<I, A>) => TensorInfo | TensorInfo[],
): KernelConfig {
  return { kernelName, backendName: 'kdlts', kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function conv2dGeometry(info: tf.backend_util.Conv2DInfo): Conv2dGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

export function pool2dGeometry(info: tf.backend_util.Conv2DInfo): Pool2dGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Native convolutions handle NHWC with no negative (cropping) padding. */
export function nativeConvInfo(info: tf.backend_util.Conv2DInfo): boolean {
  return info.dataFormat === 'channelsLast' && info.padInfo.top >= 0 && info.padInfo.left >= 0;
}

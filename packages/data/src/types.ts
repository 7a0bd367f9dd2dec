// The in-memory dataset shape shared by every loader: NHWC images in a plain typed array.

export type Split = 'train' | 'test';
export type DatasetName = 'fashion-mnist' | 'mnist' | 'cifar10' | 'cifar100' | 'synthetic' | 'synthetic-cifar10';

/** Image height, width, channels. */
export type ImageShape = [number, number, number];

export interface Dataset<I extends Float32Array | Uint8Array = Float32Array | Uint8Array> {
  /** count * h * w * c values, NHWC. Uint8 (0..255) as loaded, Float32 after normalisation. */
  images: I;
  /** count labels in 0..numClasses-1. */
  labels: Uint8Array;
  count: number;
  shape: ImageShape;
  numClasses: number;
  /** CIFAR-100 only: the 20-way coarse labels beside the 100-way fine ones. */
  coarseLabels?: Uint8Array;
}

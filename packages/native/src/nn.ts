// The training kernels of the native core (native/include/kdlts_nn.h), typed once. They back the
// `kdlts` TensorFlow.js backend (@kdlts/backend). There is no TypeScript reference for them:
// tfjs-backend-cpu is their oracle and their fallback.
//
// Every function is synchronous, writes into caller-allocated outputs, returns nothing, and
// throws a TypeError/RangeError naming a bad argument or an Error with code 'KDLTS_ERR_...'.
import type { ExecOptions } from './binding';

/** Mirrors kdlts_activation. */
export const Activation = { linear: 0, relu: 1 } as const;
/** Mirrors kdlts_binary_op. */
export const BinaryOp = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  squaredDifference: 4,
  maximum: 5,
  minimum: 6,
  reluGrad: 7,
} as const;
/** Mirrors kdlts_unary_op. */
export const UnaryOp = {
  relu: 0,
  relu6: 1,
  step: 2,
  neg: 3,
  abs: 4,
  square: 5,
  sqrt: 6,
  rsqrt: 7,
  exp: 8,
  log: 9,
  sigmoid: 10,
  tanh: 11,
  reciprocal: 12,
} as const;
/** Mirrors kdlts_reduce_op. */
export const ReduceOp = { sum: 0, mean: 1, max: 2, min: 3 } as const;

export interface MatmulParams {
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** An Activation value. */
  activation: number;
}

/** kdlts_conv2d_params: NHWC input, HWIO filter. */
export interface Conv2dGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/** kdlts_pool2d_params: NHWC. */
export interface Pool2dGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

export interface NnBinding {
  /** The numeric values of the C enums, to check the constants above against. */
  nnConstants(): {
    activation: Record<string, number>;
    binaryOp: Record<string, number>;
    unaryOp: Record<string, number>;
    reduceOp: Record<string, number>;
  };
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array, params: MatmulParams, exec?: ExecOptions): void;
  conv2dForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array, geometry: Conv2dGeometry, activation: number, exec?: ExecOptions): void;
  conv2dBackwardInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Conv2dGeometry, exec?: ExecOptions): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, geometry: Conv2dGeometry, exec?: ExecOptions): void;
  maxPoolForward(x: Float32Array, y: Float32Array, geometry: Pool2dGeometry, exec?: ExecOptions): void;
  maxPoolBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, geometry: Pool2dGeometry, exec?: ExecOptions): void;
  avgPoolForward(x: Float32Array, y: Float32Array, geometry: Pool2dGeometry, exec?: ExecOptions): void;
  avgPoolBackward(dy: Float32Array, dx: Float32Array, geometry: Pool2dGeometry, exec?: ExecOptions): void;
  /** Vectors have length `channels`; x and y have rows * channels elements. */
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null, scale: Float32Array | null, y: Float32Array, channels: number, eps: number, exec?: ExecOptions): void;
  /** relu: fuse a ReLU after the normalisation (kdlts_batch_norm_relu_train_forward). */
  batchNormTrainForward(x: Float32Array, offset: Float32Array | null, scale: Float32Array | null, y: Float32Array, meanOut: Float32Array, varianceOut: Float32Array, channels: number, eps: number, relu: boolean, exec?: ExecOptions): void;
  /** reluY: the fused-ReLU forward's output (the gradient passes where it is positive), or null. */
  batchNormTrainBackward(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, dx: Float32Array, doffset: Float32Array | null, dscale: Float32Array | null, channels: number, eps: number, reluY: Float32Array | null, exec?: ExecOptions): void;
  /** Shapes are plain arrays of the same rank (left-padded with 1s). */
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, outShape: number[], exec?: ExecOptions): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number, exec?: ExecOptions): void;
  reduce(op: number, x: Float32Array, y: Float32Array, outer: number, size: number, inner: number, exec?: ExecOptions): void;
  softmax(x: Float32Array, y: Float32Array, rows: number, cols: number, exec?: ExecOptions): void;
  tile(x: Float32Array, inShape: number[], reps: number[], y: Float32Array, exec?: ExecOptions): void;
  transpose(x: Float32Array, inShape: number[], perm: number[], y: Float32Array, exec?: ExecOptions): void;
  /**
   * One SGD-with-momentum step (kdlts_sgd_update): all arrays have w's length; v and vOut are
   * given exactly when momentum > 0; wOut may be w and vOut may be v (in place).
   */
  sgdUpdate(
    w: Float32Array, g: Float32Array, v: Float32Array | null, mask: Float32Array | null,
    wOut: Float32Array, vOut: Float32Array | null,
    lr: number, momentum: number, weightDecay: number, nesterov: boolean, exec?: ExecOptions,
  ): void;
}

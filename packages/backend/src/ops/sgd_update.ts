// One step of SGD with momentum (PyTorch's torch.optim.SGD, plus an optional 0/1 pruning mask)
// as ONE kernel per variable, where tfjs composes up to eight full-size mul/add/sub ops. On the
// kdlts backend with the native core: one pass (kdlts_sgd_update). Elsewhere: those tfjs ops, in
// the same order, which the native kernel matches bitwise (each step is one float operation).
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { nnBinding } from '@kdlts/native';

import { BACKEND_NAME } from '../backend';
import { alloc, kernel, output, sizeOf, type Backend, type KernelArgs } from '../kernels/util';

export const SGD_UPDATE = 'KdltsSgdUpdate';

export interface SgdUpdateAttrs {
  /** Finite. */
  lr: number;
  /** In [0, 1); 0 keeps no velocity (v must then be null). */
  momentum: number;
  /** >= 0; adds weightDecay * w to the gradient. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0). */
  nesterov: boolean;
}

export interface SgdUpdateResult {
  /** The updated variable (0 wherever the mask is 0). */
  w: Tensor;
  /** The updated velocity, or null when momentum is 0. */
  v: Tensor | null;
}

interface Inputs {
  w: TensorInfo;
  g: TensorInfo;
  v?: TensorInfo;
  mask?: TensorInfo;
}

/** A float32 tensor's values as a Float32Array (a copy only where a cpu kernel left another array type). */
function floats(backend: Backend, t: TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

function sgdUpdateKernel({ inputs, backend, attrs }: KernelArgs<Inputs, SgdUpdateAttrs>): TensorInfo[] {
  const { w, g, v, mask } = inputs;
  const n = sizeOf(w.shape);
  const wOut = alloc(backend, n);
  const vOut = v ? alloc(backend, n) : null;
  nnBinding!.sgdUpdate(
    floats(backend, w), floats(backend, g), v ? floats(backend, v) : null, mask ? floats(backend, mask) : null,
    wOut, vOut, attrs.lr, attrs.momentum, attrs.weightDecay, attrs.nesterov);
  const outputs = [output(backend, w.shape, wOut)];
  if (vOut) outputs.push(output(backend, w.shape, vOut));
  return outputs;
}

let registered = false;

/** Registers the fused kernel on the kdlts backend (when the native core has it). */
export function registerSgdUpdate(): boolean {
  if (registered) return true;
  if (typeof nnBinding?.sgdUpdate !== 'function') return false; // an addon built before it
  tf.registerKernel(kernel(SGD_UPDATE, sgdUpdateKernel));
  registered = true;
  return true;
}

// The same rules as the C API, on the float32 values both paths compute with, so every backend
// accepts and rejects the same calls.
function validate(w: Tensor, g: Tensor, v: Tensor | null, mask: Tensor | null, attrs: SgdUpdateAttrs): void {
  const fail = (message: string): never => {
    throw new Error(`sgdUpdate: ${message}`);
  };
  const tensors: [string, Tensor | null][] = [['w', w], ['g', g], ['v', v], ['mask', mask]];
  for (const [name, t] of tensors) {
    if (!t) continue;
    if (t.dtype !== 'float32') fail(`${name} must be float32, got ${t.dtype}`);
    if (!tf.util.arraysEqual(t.shape, w.shape)) fail(`${name} has shape [${t.shape}], expected w's shape [${w.shape}]`);
  }
  const { lr, momentum, weightDecay, nesterov } = attrs;
  for (const [name, value] of [['lr', lr], ['momentum', momentum], ['weightDecay', weightDecay]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(Math.fround(value))) fail(`${name} must be a finite float32, got ${value}`);
  }
  const m = Math.fround(momentum);
  if (!(m >= 0 && m < 1)) fail(`momentum must be in [0, 1), got ${momentum}`);
  if (!(Math.fround(weightDecay) >= 0)) fail(`weightDecay must be >= 0, got ${weightDecay}`);
  if (typeof nesterov !== 'boolean') fail(`nesterov must be a boolean, got ${nesterov}`);
  if (nesterov && m === 0) fail('nesterov needs momentum > 0');
  if (m > 0 && !v) fail('momentum > 0 needs the velocity v');
  if (m === 0 && v) fail('v must be null when momentum is 0 (no velocity is kept)');
}

/** The definition, as tfjs ops (any backend); attrs already rounded to float32. */
function composed(w: Tensor, g: Tensor, v: Tensor | null, mask: Tensor | null, attrs: SgdUpdateAttrs): SgdUpdateResult {
  const { lr, momentum, weightDecay, nesterov } = attrs;
  const [wNew, vNew] = tf.tidy(() => {
    const g1 = mask ? tf.mul(g, mask) : g;
    const g2 = weightDecay > 0 ? tf.add(g1, tf.mul(w, weightDecay)) : g1;
    let d = g2;
    let vNew: Tensor | null = null;
    if (momentum > 0) {
      vNew = tf.add(tf.mul(v!, momentum), g2);
      d = nesterov ? tf.add(g2, tf.mul(vNew, momentum)) : vNew;
    }
    const w1 = tf.sub(w, tf.mul(d, lr));
    const updated = mask ? tf.mul(w1, mask) : w1;
    return vNew ? [updated, vNew] : [updated];
  });
  return { w: wNew, v: vNew ?? null };
}

/**
 * One SGD step (PyTorch's SGD with momentum, dampening 0) on variable w with gradient g,
 * velocity v (null when momentum is 0) and an optional 0/1 mask:
 *   g' = (mask ? g * mask : g) + weightDecay * w;  v' = momentum * v + g';
 *   d = nesterov ? g' + momentum * v' : v';  w' = (w - lr * d) * mask.
 * Start v at zeros (PyTorch's first step sets v = g: the same values up to the sign of a zero).
 * Returns new tensors (the inputs are not disposed). Not differentiable.
 */
export function sgdUpdate(w: Tensor, g: Tensor, v: Tensor | null, mask: Tensor | null, attrs: SgdUpdateAttrs): SgdUpdateResult {
  validate(w, g, v, mask, attrs);
  // Both paths compute with the float32 values (as tf.scalar would hold them).
  const f32Attrs: SgdUpdateAttrs = {
    lr: Math.fround(attrs.lr),
    momentum: Math.fround(attrs.momentum),
    weightDecay: Math.fround(attrs.weightDecay),
    nesterov: attrs.nesterov,
  };
  const native = tf.getBackend() === BACKEND_NAME && w.size > 0 && tf.getKernel(SGD_UPDATE, BACKEND_NAME) !== undefined;
  if (!native) return composed(w, g, v, mask, f32Attrs);
  const inputs: NamedTensorMap = { w, g };
  if (v) inputs.v = v;
  if (mask) inputs.mask = mask;
  const outputs = tf.engine().runKernel(SGD_UPDATE, inputs, f32Attrs as unknown as NamedAttrMap) as Tensor[];
  return { w: outputs[0], v: v ? outputs[1] : null };
}

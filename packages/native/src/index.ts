// @kdlts/native: the native core's three hot paths (plus its GEMM and copy building blocks),
// with a plain TypeScript reference that serves as the test oracle and as the fallback when the
// addon cannot load (announced by a one-line warning).
import { loadAddon, type BindingModule, type NativeInfo } from './binding';
import type { NnBinding } from './nn';
import { createOps, type KdltsOps } from './ops';
import { referenceBinding } from './reference';

export type { Backend, BindingModule, ExecOptions, GemmShape, GramParams, MaskArray, NativeInfo } from './binding';
export type { GramBackwardOptions, GramMatricesOptions, KdltsOps, ProjectionOptions, TopkOptions } from './ops';
export { createOps } from './ops';
export type { Conv2dGeometry, MatmulParams, NnBinding, Pool2dGeometry } from './nn';
export { Activation, BinaryOp, ReduceOp, UnaryOp } from './nn';
export { referenceBinding } from './reference';

const loaded = loadAddon();

/** The binding every op below runs on: the addon, or the reference when it cannot load. */
export const binding: BindingModule = loaded.addon ?? referenceBinding;

if (!loaded.addon && process.env.KDLTS_NATIVE !== 'reference') {
  process.emitWarning(`kdlts: native core unavailable, using the TypeScript reference (${loaded.reason})`);
}

/** Which engine serves the ops, plus the addon's build information. */
export function nativeInfo(): NativeInfo & { engine: 'native' | 'reference'; reason?: string } {
  return loaded.addon
    ? { ...loaded.addon.info(), engine: 'native' }
    : { ...referenceBinding.info(), engine: 'reference', reason: loaded.reason };
}

const ops: KdltsOps = createOps(binding);

/** The same ops on the TypeScript reference, whatever the engine above. */
export const reference: KdltsOps = createOps(referenceBinding);

export const {
  gramMatrices,
  gramMatricesAsync,
  gramMatricesBackward,
  gramMatricesBackwardAsync,
  projectCappedSimplex,
  projectCappedSimplexAsync,
  topkMask,
  topkMaskAsync,
} = ops;

function loadNnBinding(): { binding: NnBinding | null; reason?: string } {
  if (!loaded.addon) return { binding: null, reason: loaded.reason };
  const addon = loaded.addon as unknown as Partial<NnBinding>;
  if (typeof addon.conv2dForward !== 'function') {
    return { binding: null, reason: 'the native addon predates the training kernels: rebuild it (`npm run build`)' };
  }
  return { binding: addon as NnBinding };
}

const nn = loadNnBinding();

/** The training kernels (kdlts_nn.h), or null when the addon cannot serve them (see the reason). */
export const nnBinding: NnBinding | null = nn.binding;
/** Why nnBinding is null. */
export const nnUnavailableReason: string | undefined = nn.reason;

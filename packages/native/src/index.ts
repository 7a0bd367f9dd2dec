// @kdlts/native: the native core's three hot paths (plus its GEMM and copy building blocks),
// with a plain TypeScript reference that serves as the test oracle and as the fallback when the
// addon cannot load (announced by a one-line warning).
import { loadAddon, type BindingModule, type NativeInfo } from './binding';
import { createOps, type KdltsOps } from './ops';
import { referenceBinding } from './reference';

export type { Backend, BindingModule, ExecOptions, GemmShape, GramParams, MaskArray, NativeInfo } from './binding';
export type { GramBackwardOptions, GramMatricesOptions, KdltsOps, ProjectionOptions, TopkOptions } from './ops';
export { createOps } from './ops';
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

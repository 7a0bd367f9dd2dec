// The bindings a suite runs against, and helpers for the errors they throw.
//
// The addon's errors come from the main Node realm while jest runs tests in a vm context, so
// `instanceof TypeError` is false for them: errors are compared by name, message and code.
import { loadAddon, type BindingModule, type ExecOptions } from '../binding';
import { referenceBinding } from '../reference';

export const addonLoad = loadAddon();
/** The native addon when it loads here, else null (see `addonLoad.reason`). */
export const nativeAddon: BindingModule | null = addonLoad.addon;

export interface Target {
  /** e.g. 'reference', 'native cpu', 'native cuda' */
  label: string;
  binding: BindingModule;
  /** Options every call of the suite passes (selects the backend). */
  exec: ExecOptions;
  isReference: boolean;
}

export const referenceTarget: Target = { label: 'reference', binding: referenceBinding, exec: {}, isReference: true };

/** Every available binding/backend: the reference, the addon's CPU backend, its CUDA backend when a device exists. */
export function targets(): Target[] {
  const list: Target[] = [referenceTarget];
  if (nativeAddon) {
    list.push({ label: 'native cpu', binding: nativeAddon, exec: { backend: 'cpu' }, isReference: false });
    if (nativeAddon.info().cudaDevices > 0) {
      list.push({ label: 'native cuda', binding: nativeAddon, exec: { backend: 'cuda' }, isReference: false });
    }
  }
  return list;
}

export interface CaughtError {
  /** The constructor's name: 'TypeError', 'RangeError' or 'Error'. */
  name: string;
  message: string;
  code: unknown;
}

function asCaught(error: unknown): CaughtError {
  if (typeof error !== 'object' || error === null) throw new Error(`expected an Error object, got ${String(error)}`);
  const e = error as { name?: unknown; message?: unknown; code?: unknown };
  const ctor = (Object.getPrototypeOf(error) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return { name: String(ctor ?? e.name), message: String(e.message), code: e.code };
}

/** The error `fn` throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): CaughtError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    return asCaught(error);
  }
  if (result instanceof Object && typeof (result as { then?: unknown }).then === 'function') {
    (result as Promise<unknown>).catch(() => undefined); // do not leave an unhandled rejection behind
    throw new Error('expected a synchronous throw, got a Promise');
  }
  throw new Error('expected a throw, but the call returned normally');
}

/**
 * The error an async call rejects with: the call itself must return a Promise (not throw),
 * as the addon's *Async forms do for failures inside an op.
 */
export async function rejection(fn: () => Promise<unknown>): Promise<CaughtError> {
  let promise: Promise<unknown>;
  try {
    promise = fn();
  } catch (error) {
    throw new Error(`expected a rejected Promise, but the call threw synchronously: ${String((error as Error)?.message ?? error)}`);
  }
  try {
    await promise;
  } catch (error) {
    return asCaught(error);
  }
  throw new Error('expected a rejection, but the Promise resolved');
}

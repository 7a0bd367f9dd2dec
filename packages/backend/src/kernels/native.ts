// The native training kernels as the backend's kernels see them.
import { nnBinding, type NnBinding } from '@kdlts/native';

/** The nn binding; kernels are registered only when it exists. */
export function nn(): NnBinding {
  if (!nnBinding) throw new Error('kdlts: native training kernels are unavailable');
  return nnBinding;
}
